# latency.gp - round-trip latency distribution from the generator's histogram buckets (all
# repetitions pooled): the CDF on the left, the tail (1 - CDF, log scale) on the right, one line
# per backend and sweep value (colour = backend, dash = sweep value). datadir/latency.dat has one
# block per line: a title row, then "latency_us fraction_at_or_below" rows.
load plotdir . '/common.gp'
set multiplot layout 1,2 margins 0.07, 0.98, capH + 0.08, 0.92 spacing 0.07
set label 1 caption at screen 0.01, screen 0.075 left font ',8' noenhanced
set logscale x
set xlabel 'round-trip latency (us, log scale)'
set xtics auto
set key bottom right vertical maxrows 10
set ylabel 'fraction of frames at or below'
set yrange [0:1]
set title 'Latency CDF'
dashes(i) = int(word(blockvalues, i + 1)) % 5 + 1
plot for [i=0:nblocks - 1] datadir . '/latency.dat' index i using 1:2 with steps lw 2 \
	lc rgb color(word(blockbackends, i + 1)) dt dashes(i) \
	title columnheader(1)
unset label 1
set title 'Tail: fraction of frames slower (log)'
set ylabel ''
set logscale y
set yrange [1e-6:1]
set format y '10^{%L}'
set key top right vertical maxrows 10
plot for [i=0:nblocks - 1] datadir . '/latency.dat' index i using 1:(1 - $2 > 0 ? 1 - $2 : 1/0) \
	with steps lw 2 lc rgb color(word(blockbackends, i + 1)) \
	dt dashes(i) title columnheader(1)
unset multiplot
