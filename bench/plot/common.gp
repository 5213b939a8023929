# common.gp - terminal, output and style shared by the bench/compare plots (loaded by each).
# Variables set by bench/compare with -e: plotdir (this folder), datadir, outfile,
# term (pngcairo|png|svg), backends (space-separated names; datadir/NAME.dat each), xlabel,
# nvalues, xticsdef ('"64" 0, "1518" 1'), and for latency.gp nblocks, blockbackends and
# blockvalues (the backend and the sweep value index of each data block).
if (term eq 'svg') {
	set terminal svg size 900,540 dynamic enhanced font 'Sans,12' background rgb 'white'
} else {
	if (term eq 'pngcairo') {
		set terminal pngcairo size 900,540 enhanced font 'Sans,10'
	} else {
		set terminal png size 900,540
	}
}
set output outfile
set grid ytics lc rgb '#dddddd'
set key top right box opaque
set border 3
set tics nomirror
set xlabel xlabel
# One tic per sweep value at 0, 1, ...: the backends sit side by side around it.
eval('set xtics (' . xticsdef . ')')
# One colour per backend, the same in every plot.
color(b) = b eq 'direct' ? '#1f77b4' : b eq 'mbuf' ? '#ff7f0e' : \
	b eq 'testpmd' ? '#2ca02c' : '#7f7f7f'
# Backends side by side around each x position.
nb = words(backends)
spread = 0.8  # of the distance between two sweep values; the line plots use less
offset(i) = (i - (nb + 1) / 2.0) * spread / nb
