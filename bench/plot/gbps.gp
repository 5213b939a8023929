# gbps.gp - L1 throughput (frame + 24 bytes of preamble, SFD, FCS and gap) per backend and value.
load plotdir . '/common.gp'
set title 'Loopback throughput, L1 (median, min..max of the repetitions)'
set ylabel 'Gbit/s (L1)'
set yrange [0:*]
set xrange [-0.5:nvalues - 0.5]
spread = 0.3
plot for [i=1:nb] datadir . '/' . word(backends, i) . '.dat' \
	using ($1 + offset(i)):6:7:8 with yerrorlines lw 2 pt 7 \
	lc rgb color(word(backends, i)) title word(backends, i)
