# latency.gp - round-trip latency percentiles: one line per backend and sweep value, joining
# min, p50, p99, p99.9 and max (medians over the repetitions) on a log latency axis.
load plotdir . '/common.gp'
set title 'Round-trip latency percentiles (median of the repetitions)'
set xlabel 'latency (us, log scale)'
set ylabel 'percentile'
set logscale x
set ytics ('min' 0, 'p50' 1, 'p99' 2, 'p99.9' 3, 'max' 4)
set yrange [-0.2:4.2]
set key bottom right
set xtics auto
# Colour = backend (as in the other plots), dash pattern = sweep value.
dashes(i) = int(word(blockvalues, i + 1)) % 5 + 1
plot for [i=0:nblocks - 1] datadir . '/latency.dat' index i using 1:2 \
	with linespoints lw 2 pt 7 lc rgb color(word(blockbackends, i + 1)) \
	dt dashes(i) title columnheader(1)
