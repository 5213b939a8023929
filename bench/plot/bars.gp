# bars.gp - grouped bars, one group per sweep value, one bar per backend (median of the
# repetitions) with a min..max whisker; the sink (the generator's own TX ceiling, a different
# job) in its own panel on the right so it does not squash the loopback bars.
# Extra variables: col (median column of NAME.dat; col+1 = min, col+2 = max), ptitle, ylab,
# sinktitle.
load plotdir . '/common.gp'
set multiplot
set label 1 caption at screen 0.01, screen 0.075 left font ',8' noenhanced
set size (sink ? mainW : 1.0), 1.0 - capH
set origin 0, capH
set title ptitle
set ylabel ylab
set xlabel xlabel
eval('set xtics (' . xticsdef . ')')
set xrange [-0.5:nvalues - 0.5]
set yrange [0:*]
bw = 0.8 / nb
plot for [i=1:nb] datadir . '/' . word(backends, i) . '.dat' \
	using ($1 + offset(i, nb)):col:(bw) with boxes lc rgb color(word(backends, i)) \
	title word(backends, i), \
	for [i=1:nb] datadir . '/' . word(backends, i) . '.dat' \
	using ($1 + offset(i, nb)):(column(col+1)):(0):(column(col+2) - column(col+1)) \
	with vectors heads size screen 0.005,90 lc rgb 'black' notitle
if (sink) {
	unset label 1
	set size 1.0 - mainW, 1.0 - capH
	set origin mainW, capH
	set title sinktitle noenhanced
	set ylabel ''
	unset key
	plot datadir . '/sink.dat' using 1:col:(0.6) with boxes lc rgb color('sink') notitle, \
		'' using 1:(column(col+1)):(0):(column(col+2) - column(col+1)) \
		with vectors heads size screen 0.005,90 lc rgb 'black' notitle
}
unset multiplot
