# Draws a line chart as SVG from CSV lines "series,x,y" (one line per point; series keep their first-seen order).
# Variables (awk -v): title, xlabel, ylabel, logx=1 for a log2 x axis, subtitle (machine and date).
# Usage: awk -F, -v title=... -v xlabel=... -v ylabel=... -f svgplot.awk points.csv > chart.svg
# No dependencies beyond awk, so the report can be regenerated on any machine that ran the benchmark.
BEGIN { W = 760; H = 440; L = 80; R = 230; T = 56; B = 56; n = 0; ns = 0 }
NF >= 3 && $3 != "" && $3 + 0 == $3 {
  s = $1; x = $2 + 0; y = $3 + 0
  if (!(s in sid)) { sid[s] = ++ns; sname[ns] = s }
  n++; ps[n] = sid[s]; px[n] = x; py[n] = y
  if (n == 1 || x < xmin) xmin = x; if (n == 1 || x > xmax) xmax = x
  if (y > ymax) ymax = y
  xs[x] = 1
}
function tx(x) { if (logx) { lx = log(x) / log(2); lmin = log(xmin) / log(2); lmax = log(xmax) / log(2); return L + (lmax > lmin ? (lx - lmin) / (lmax - lmin) : 0.5) * (W - L - R) }
                 return L + (xmax > xmin ? (x - xmin) / (xmax - xmin) : 0.5) * (W - L - R) }
function ty(y) { return H - B - (ytop > 0 ? y / ytop : 0) * (H - T - B) }
function nice(v,   e, f) { if (v <= 0) return 1; e = 10 ^ int(log(v) / log(10)); f = v / e; return (f <= 1 ? 1 : f <= 2 ? 2 : f <= 5 ? 5 : 10) * e }
function esc(t) { gsub(/&/, "\\&amp;", t); gsub(/</, "\\&lt;", t); return t }
END {
  split("#1f77b4 #d62728 #2ca02c #ff7f0e #9467bd #8c564b #e377c2 #7f7f7f #bcbd22 #17becf", color, " ")
  step = nice(ymax / 5); ytop = step * int(ymax / step + 0.999); if (ytop == 0) ytop = 1
  printf "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" font-family=\"sans-serif\" font-size=\"12\">\n", W, H
  printf "<rect width=\"100%%\" height=\"100%%\" fill=\"white\"/>\n"
  printf "<text x=\"%d\" y=\"22\" font-size=\"16\" font-weight=\"bold\">%s</text>\n", L, esc(title)
  printf "<text x=\"%d\" y=\"40\" fill=\"#555\">%s</text>\n", L, esc(subtitle)
  for (v = 0; v <= ytop + step / 2; v += step) {
    printf "<line x1=\"%d\" x2=\"%d\" y1=\"%.1f\" y2=\"%.1f\" stroke=\"#ddd\"/>", L, W - R, ty(v), ty(v)
    printf "<text x=\"%d\" y=\"%.1f\" text-anchor=\"end\">%s</text>\n", L - 6, ty(v) + 4, (v >= 1000000 ? sprintf("%gM", v / 1000000) : v >= 1000 ? sprintf("%gk", v / 1000) : sprintf("%g", v))
  }
  nx = 0; for (x in xs) nx++
  if (nx <= 12 || logx) for (x in xs) printf "<text x=\"%.1f\" y=\"%d\" text-anchor=\"middle\">%g</text>\n", tx(x + 0), H - B + 18, x + 0
  else { xstep = nice((xmax - xmin) / 8); for (v = xstep * int(xmin / xstep + 0.999); v <= xmax; v += xstep) printf "<text x=\"%.1f\" y=\"%d\" text-anchor=\"middle\">%g</text>\n", tx(v), H - B + 18, v }
  printf "<line x1=\"%d\" x2=\"%d\" y1=\"%d\" y2=\"%d\" stroke=\"black\"/>\n", L, W - R, H - B, H - B
  printf "<line x1=\"%d\" x2=\"%d\" y1=\"%d\" y2=\"%d\" stroke=\"black\"/>\n", L, L, T, H - B
  printf "<text x=\"%d\" y=\"%d\" text-anchor=\"middle\">%s</text>\n", (L + W - R) / 2, H - 12, esc(xlabel)
  printf "<text transform=\"translate(18,%d) rotate(-90)\" text-anchor=\"middle\">%s</text>\n", (T + H - B) / 2, esc(ylabel)
  for (k = 1; k <= ns; k++) {
    c = color[(k - 1) % 10 + 1]; pts = ""
    for (i = 1; i <= n; i++) if (ps[i] == k) { pts = pts sprintf("%.1f,%.1f ", tx(px[i]), ty(py[i])); printf "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"3\" fill=\"%s\"/>", tx(px[i]), ty(py[i]), c }
    printf "\n<polyline fill=\"none\" stroke=\"%s\" stroke-width=\"2\" points=\"%s\"/>\n", c, pts
    printf "<rect x=\"%d\" y=\"%d\" width=\"14\" height=\"4\" fill=\"%s\"/><text x=\"%d\" y=\"%d\">%s</text>\n", W - R + 16, T + 18 * k - 4, c, W - R + 36, T + 18 * k, esc(sname[k])
  }
  print "</svg>"
}
