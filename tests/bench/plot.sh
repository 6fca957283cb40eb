#!/bin/sh
# plot.sh -- throughput and latency against client count from
# run-scaling.sh data: an SVG and a text rendering (for
# doc/performance.md).
#   sh tests/bench/plot.sh bench-results/scaling-setup.dat [OUTPREFIX]
set -eu
dat=${1:?usage: plot.sh scaling-SCENARIO.dat [outprefix]}
out=${2:-${dat%.dat}}
command -v gnuplot >/dev/null || { echo "plot.sh: needs gnuplot" >&2; exit 1; }
title=$(sed -n '1s/^# clients [^(]*(\(.*\))/\1/p' "$dat")

plot() {
	gnuplot <<GP
set terminal $1
set output "$2"
set title "acapd $title"
set xlabel "clients (closed loop, 1 request in flight each)"
set logscale x 2
set ylabel "requests/s"
set y2label "latency (ms)"
set logscale y2 10
set ytics nomirror
set y2tics
set key top left
set grid
plot "$dat" using 1:2 with linespoints title "throughput" axes x1y1, \
     "$dat" using 1:3 with linespoints title "p50" axes x1y2, \
     "$dat" using 1:4 with linespoints title "p99" axes x1y2
GP
}
plot "svg size 800,480 dynamic font 'sans,11'" "$out.svg"
plot "dumb size 100,30" "$out.txt"
echo "wrote $out.svg and $out.txt"
