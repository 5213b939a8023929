# cycles.gp - backend TSC cycles per frame in busy polls, bars per backend side by side, with
# a min..max whisker over the repetitions.
load plotdir . '/common.gp'
set title 'Backend cycles per frame (median; lower is better)'
set ylabel 'TSC cycles / frame'
set yrange [0:*]
set xrange [-0.5:nvalues - 0.5]
set style fill solid 0.8 border -1
bw = 0.8 / nb
plot for [i=1:nb] datadir . '/' . word(backends, i) . '.dat' \
	using ($1 + offset(i)):9:(bw) with boxes \
	lc rgb color(word(backends, i)) title word(backends, i), \
	for [i=1:nb] datadir . '/' . word(backends, i) . '.dat' \
	using ($1 + offset(i)):10:(0):($11 - $10) with vectors heads size screen 0.006,90 \
	lc rgb 'black' notitle
