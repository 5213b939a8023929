# mpps.gp - frames per second that came back, per backend and sweep value: median of the
# repetitions, error bars from the slowest to the fastest repetition.
load plotdir . '/common.gp'
set title 'Loopback rate (median, min..max of the repetitions)'
set ylabel 'Mpps'
set yrange [0:*]
set xrange [-0.5:nvalues - 0.5]
spread = 0.3
plot for [i=1:nb] datadir . '/' . word(backends, i) . '.dat' \
	using ($1 + offset(i)):3:4:5 with yerrorlines lw 2 pt 7 \
	lc rgb color(word(backends, i)) title word(backends, i)
