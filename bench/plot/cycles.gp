# cycles.gp - what a frame costs each side: the backend's TSC cycles per frame (left) and the
# generator's, the guest's, per frame that came back (right), grouped bars per sweep value with a
# min..max whisker. The sink's backend cost compares with nothing and is left out; its
# generator cost (per frame sent) is the generator's floor.
# havegen = 0 (results written before the generator counted its cycles): the left panel only.
load plotdir . '/common.gp'
if (havegen) {
	set multiplot layout 1,2 margins 0.07, 0.98, capH + 0.08, 0.92 spacing 0.07
} else {
	set multiplot layout 1,1 margins 0.07, 0.98, capH + 0.08, 0.92
}
set label 1 caption at screen 0.01, screen 0.075 left font ',8' noenhanced
set xlabel xlabel
eval('set xtics (' . xticsdef . ')')
set xrange [-0.5:nvalues - 0.5]
set yrange [0:*]
set ylabel 'TSC cycles / frame'
set title 'Backend cycles per frame (median; lower is better)'
bw = 0.8 / nb
plot for [i=1:nb] datadir . '/' . word(backends, i) . '.dat' \
	using ($1 + offset(i, nb)):9:(bw) with boxes lc rgb color(word(backends, i)) \
	title word(backends, i), \
	for [i=1:nb] datadir . '/' . word(backends, i) . '.dat' \
	using ($1 + offset(i, nb)):10:(0):($11 - $10) \
	with vectors heads size screen 0.005,90 lc rgb 'black' notitle
if (!havegen) {
	unset multiplot
	exit
}
unset label 1
# A narrow panel: the key takes two rows of two, so it needs more headroom than the one row
# of the left panel, or it covers the tallest whisker.
set key top left horizontal maxcols 2 box opaque
set offsets 0, 0, graph 0.25, 0
set title 'Generator (guest) cycles per returned frame'
set ylabel ''
allb = sink ? backends . ' sink' : backends
na = words(allb)
bw = 0.8 / na
plot for [i=1:na] datadir . '/' . word(allb, i) . '.dat' \
	using ($1 + offset(i, na)):12:(bw) with boxes lc rgb color(word(allb, i)) \
	title (word(allb, i) eq 'sink' ? 'sink (per frame sent)' : word(allb, i)), \
	for [i=1:na] datadir . '/' . word(allb, i) . '.dat' \
	using ($1 + offset(i, na)):13:(0):($14 - $13) \
	with vectors heads size screen 0.005,90 lc rgb 'black' notitle
unset multiplot
