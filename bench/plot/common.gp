# common.gp - terminal, output, style and caption shared by the bench/compare plots (loaded by
# each). Variables set by bench/compare with -e: plotdir (this folder), datadir, outfile,
# term (pngcairo|png|svg), backends (space-separated loopback backends; datadir/NAME.dat each),
# sink (1 when datadir/sink.dat exists: drawn in its own panel), xlabel, nvalues, xticsdef
# ('"64" 0, "1518" 1'), and for latency.gp nblocks. datadir/caption.txt is the caption: host
# CPU, date, commit and the command line.
if (term eq 'svg') {
	set terminal svg size 1000,600 dynamic enhanced font 'Sans,12' background rgb 'white'
} else {
	if (term eq 'pngcairo') {
		set terminal pngcairo size 1000,600 enhanced font 'Sans,10'
	} else {
		set terminal png size 1000,600
	}
}
set output outfile
caption = system('cat ' . datadir . '/caption.txt')
set grid ytics lc rgb '#dddddd'
set key top left horizontal maxrows 1 box opaque
# Headroom above the tallest bar for the key.
set offsets 0, 0, graph 0.12, 0
set border 3
set tics nomirror
set style fill solid 0.85 border -1
# One colour per backend, the same in every plot: split rings (NAME, NAME-split) in its dark
# shade, packed rings (NAME-packed) in a lighter one.
issplit(b) = strlen(b) > 6 && b[strlen(b) - 5:strlen(b)] eq '-split'
color(b) = issplit(b) ? color1(b[1:strlen(b) - 6]) : color1(b)
color1(b) = b eq 'direct' ? '#1f77b4' : b eq 'mbuf' ? '#ff7f0e' : \
	b eq 'testpmd' ? '#2ca02c' : \
	b[1:6] eq 'direct' && strlen(b) > 6 && b[7:7] eq '-' ? '#9ecae1' : \
	b[1:4] eq 'mbuf' && strlen(b) > 4 && b[5:5] eq '-' ? '#fdae6b' : \
	b[1:7] eq 'testpmd' && strlen(b) > 7 && b[8:8] eq '-' ? '#98df8a' : '#7f7f7f'
nb = words(backends)
# Sweep values are categories at 0, 1, ...; the backends' bars sit side by side around each.
offset(i, n) = (i - (n + 1) / 2.0) * 0.8 / n
# Panels: the main one on the left, the sink's (or a second quantity) on the right, the caption
# under both.
capH = 0.09
mainW = 0.74
