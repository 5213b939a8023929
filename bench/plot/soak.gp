# soak.gp - a soak run over time from the engine's JSON lines (bench/plot-soak prepares the data):
# per queue pair frames/s, drops/s, guest calls/s and busy %, then the steering audit's fairness
# index and the count of flows seen on more than one queue pair. Variables (-e): outfile, term
# (pngcairo|png|svg), datadir (q0.dat ... and steering.dat), queues (space-separated labels, one
# per datadir/qK.dat), tunit (s|min|h), steering (1 when the run had the audit).
# qK.dat columns: time, frames/s, drops/s, calls/s, busy %. steering.dat: time, fairness,
# multi-queue flows, flows, idle pairs.
W = 1400
H = 1150
if (term eq 'svg') {
	set terminal svg size W,H dynamic enhanced font 'Sans,13' background rgb 'white'
} else {
	if (term eq 'pngcairo') {
		set terminal pngcairo size W,H enhanced font 'Sans,11'
	} else {
		set terminal png size W,H
	}
}
set output outfile
caption = system('cat ' . datadir . '/caption.txt')
nq = words(queues)
q(i) = datadir . '/q' . (i - 1) . '.dat'
color(i) = word('#1f77b4 #ff7f0e #2ca02c #d62728 #9467bd #8c564b #e377c2 #7f7f7f #bcbd22 #17becf', (i - 1) % 10 + 1)
set grid xtics ytics lc rgb '#dddddd'
set border 3
set tics nomirror
# Keys inside, above the data (headroom from the offsets); equal rates draw on top of each other,
# so earlier queue pairs get wider lines and each its own dash pattern.
set key inside top right horizontal maxrows 1 opaque box samplen 2.5 font ',9' noenhanced
set offsets 0, 0, graph 0.22, 0
lw(i) = 1.2 + 1.3 * (nq - i)
set xlabel 'time (' . tunit . ')'
set style data lines
capH = 0.085
set multiplot layout 3,2 margins 0.06, 0.94, capH + 0.05, 0.96 spacing 0.09, 0.09
set label 1 caption at screen 0.01, screen 0.07 left font ',9' noenhanced

set title 'Frames looped per second, per queue pair'
set ylabel 'Mpps'
set yrange [0:*]
plot for [i=1:nq] q(i) using 1:($2 / 1e6) lw lw(i) dt i lc rgb color(i) title word(queues, i)
unset label 1

set title 'Drops per second, per queue pair'
set ylabel 'frames/s'
plot for [i=1:nq] q(i) using 1:3 lw lw(i) dt i lc rgb color(i) title word(queues, i)

set title 'Interrupts (calls) to the guest per second, per queue pair'
set ylabel 'calls/s'
plot for [i=1:nq] q(i) using 1:4 lw lw(i) dt i lc rgb color(i) title word(queues, i)

set title 'Poller busy time (polls that moved frames), per queue pair'
set ylabel 'busy %'
set yrange [0:100]
set offsets 0, 0, 0, 0
set ytics 0, 20, 100
set y2range [0:*]
set yrange [0:130]
plot for [i=1:nq] q(i) using 1:5 lw lw(i) dt i lc rgb color(i) title word(queues, i)
set ytics autofreq
set offsets 0, 0, graph 0.22, 0

if (steering) {
	set title "Steering fairness (Jain's index over enabled queue pairs)"
	set ylabel 'fairness'
	set yrange [0:1.3]
	set ytics 0, 0.2, 1
	plot datadir . '/steering.dat' using 1:2 lw 2 lc rgb '#1f77b4' title 'fairness', \
		'' using 1:(1.0 / $6) lw 1 dt 2 lc rgb '#7f7f7f' title '1/n: one pair carries all'

	set title 'Flows seen on more than one queue pair (whole run so far)'
	set ylabel 'flows'
	set ytics autofreq
	set yrange [0:*]
	set y2range [0:*]
	set y2tics 1
	set y2label 'idle pairs'
	plot datadir . '/steering.dat' using 1:3 lw 2 lc rgb '#d62728' title 'multi-queue flows', \
		'' using 1:5 axes x1y2 lw 1.5 dt 2 lc rgb '#2ca02c' title 'idle pairs (right)'
} else {
	set title 'Steering audit off (--steering-audit): no steering panels'
	unset ylabel
	unset key
	set yrange [0:1]
	plot NaN notitle
}
unset multiplot
