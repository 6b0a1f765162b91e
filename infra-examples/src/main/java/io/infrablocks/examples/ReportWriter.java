package io.infrablocks.examples;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.HdrHistogram.Histogram;

/** Writes the final report to a stream, the per-second series as CSV, and an HTML page of SVG charts. */
final class ReportWriter {

    private final RunSeries series;
    private final Phases phases;
    private final List<String> serverNames;

    ReportWriter(RunSeries series, Phases phases, List<String> serverNames) {
        this.series = series;
        this.phases = phases;
        this.serverNames = serverNames;
    }

    /** Seconds with at least one error, as ranges like {@code 30-31, 45}. */
    String errorSeconds() {
        List<String> ranges = new ArrayList<>();
        int start = -1;
        for (int s = 0; s <= series.seconds(); s++) {
            boolean err = s < series.seconds() && series.errors(s) > 0;
            if (err && start < 0) {
                start = s;
            } else if (!err && start >= 0) {
                ranges.add(start == s - 1 ? Integer.toString(start) : start + "-" + (s - 1));
                start = -1;
            }
        }
        return ranges.isEmpty() ? "none" : String.join(", ", ranges);
    }

    void printTraffic(PrintStream out, double elapsedSeconds) {
        long requests = series.totalRequests();
        long errors = series.totalErrors();
        Histogram all = series.latency(0, series.seconds());
        out.printf(
                Locale.ROOT,
                "throughput:        %d requests in %.1f s = %.0f requests/s%n",
                requests,
                elapsedSeconds,
                requests / elapsedSeconds);
        out.printf(
                Locale.ROOT,
                "latency:           p50 %s  p99 %s  p99.9 %s  max %s%n",
                ms(all.getValueAtPercentile(50)),
                ms(all.getValueAtPercentile(99)),
                ms(all.getValueAtPercentile(99.9)),
                ms(all.getMaxValue()));
        out.printf(
                Locale.ROOT,
                "errors:            %d (%.3f%%), in seconds: %s%n",
                errors,
                requests == 0 ? 0.0 : 100.0 * errors / requests,
                errorSeconds());
        out.printf(
                Locale.ROOT,
                "faults:            %s slow from %ds; %s stopped at %ds, restarted at %ds%n",
                serverNames.get(phases.slowServer()),
                phases.slowAt(),
                serverNames.get(phases.stoppedServer()),
                phases.stopAt(),
                phases.restartAt());
        out.println("share of traffic per phase (%):");
        StringBuilder header = new StringBuilder(String.format(Locale.ROOT, "  %-12s", "phase"));
        for (String name : serverNames) {
            header.append(String.format(Locale.ROOT, "%9s", name));
        }
        header.append(String.format(Locale.ROOT, "%10s%9s", "p99", "errors"));
        out.println(header);
        for (Phases.Phase p : phases.list()) {
            long total = 0;
            for (int i = 0; i < serverNames.size(); i++) {
                total += series.servedBy(i, p.from(), p.to());
            }
            long errs = 0;
            for (int s = p.from(); s < p.to(); s++) {
                errs += series.errors(s);
            }
            StringBuilder row = new StringBuilder(String.format(Locale.ROOT, "  %-12s", p.name()));
            for (int i = 0; i < serverNames.size(); i++) {
                long n = series.servedBy(i, p.from(), p.to());
                row.append(String.format(Locale.ROOT, "%9.1f", total == 0 ? 0.0 : 100.0 * n / total));
            }
            Histogram h = series.latency(p.from(), p.to());
            row.append(String.format(Locale.ROOT, "%10s%9d", ms(h.getValueAtPercentile(99)), errs));
            out.println(row);
        }
    }

    static String ms(long micros) {
        return String.format(Locale.ROOT, "%.1fms", micros / 1000.0);
    }

    /** One row a second: second,requests,errors,p50_ms,p99_ms,share_<server>... */
    Path writeCsv(Path dir) throws IOException {
        Files.createDirectories(dir);
        StringBuilder csv = new StringBuilder("second,requests,errors,p50_ms,p99_ms");
        for (String name : serverNames) {
            csv.append(",share_").append(name);
        }
        csv.append('\n');
        for (int s = 0; s < series.seconds(); s++) {
            Histogram h = series.latency(s);
            csv.append(s)
                    .append(',')
                    .append(series.requests(s))
                    .append(',')
                    .append(series.errors(s))
                    .append(',')
                    .append(String.format(Locale.ROOT, "%.3f", h.getValueAtPercentile(50) / 1000.0))
                    .append(',')
                    .append(String.format(Locale.ROOT, "%.3f", h.getValueAtPercentile(99) / 1000.0));
            long total = 0;
            for (int i = 0; i < serverNames.size(); i++) {
                total += series.servedBy(s, i);
            }
            for (int i = 0; i < serverNames.size(); i++) {
                double share = total == 0 ? 0 : 100.0 * series.servedBy(s, i) / total;
                csv.append(',').append(String.format(Locale.ROOT, "%.2f", share));
            }
            csv.append('\n');
        }
        Path file = dir.resolve("demo.csv");
        Files.writeString(file, csv, StandardCharsets.UTF_8);
        return file;
    }

    /** A self-contained page: inline SVG, no scripts, no external resources. */
    Path writeHtml(Path dir, List<String> summary) throws IOException {
        Files.createDirectories(dir);
        int n = series.seconds();
        double[][] latency = new double[2][n];
        double[][] share = new double[serverNames.size()][n];
        double maxLatency = 1;
        for (int s = 0; s < n; s++) {
            Histogram h = series.latency(s);
            latency[0][s] = h.getTotalCount() == 0 ? 0 : h.getValueAtPercentile(50) / 1000.0;
            latency[1][s] = h.getTotalCount() == 0 ? 0 : h.getValueAtPercentile(99) / 1000.0;
            maxLatency = Math.max(maxLatency, latency[1][s]);
            long total = 0;
            for (int i = 0; i < serverNames.size(); i++) {
                total += series.servedBy(s, i);
            }
            for (int i = 0; i < serverNames.size(); i++) {
                share[i][s] = total == 0 ? 0 : 100.0 * series.servedBy(s, i) / total;
            }
        }
        StringBuilder html = new StringBuilder();
        html.append("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">")
                .append("<title>infrablocks demo</title><style>")
                .append("body{font-family:sans-serif;margin:2em;color:#222}pre{background:#f6f6f6;padding:1em}")
                .append("</style></head><body>\n<h1>infrablocks three-tier demo</h1>\n");
        html.append("<h2>Latency per second (ms)</h2>\n")
                .append(chart(latency, List.of("p50", "p99"), maxLatency * 1.1, "ms"));
        html.append("<h2>Share of traffic per server (%)</h2>\n").append(chart(share, serverNames, 100, "%"));
        html.append("<h2>Report</h2>\n<pre>");
        for (String line : summary) {
            html.append(escape(line)).append('\n');
        }
        html.append("</pre>\n</body></html>\n");
        Path file = dir.resolve("demo.html");
        Files.writeString(file, html, StandardCharsets.UTF_8);
        return file;
    }

    private static final String[] COLORS = {
        "#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f"
    };

    private String chart(double[][] lines, List<String> names, double maxY, String unit) {
        int w = 900;
        int h = 260;
        int left = 50;
        int bottom = 30;
        int n = lines[0].length;
        double xScale = (w - left - 10) / (double) Math.max(1, n - 1);
        double yScale = (h - bottom - 10) / maxY;
        StringBuilder svg = new StringBuilder();
        svg.append(String.format(
                Locale.ROOT,
                "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" font-size=\"11\">%n",
                w,
                h + 20));
        svg.append(String.format(
                Locale.ROOT,
                "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"#888\"/>%n",
                left,
                h - bottom,
                w - 10,
                h - bottom));
        for (int k = 0; k <= 4; k++) {
            double v = maxY * k / 4;
            double y = h - bottom - v * yScale;
            svg.append(String.format(
                    Locale.ROOT,
                    "<text x=\"2\" y=\"%.1f\">%.0f%s</text><line x1=\"%d\" y1=\"%.1f\" x2=\"%d\" y2=\"%.1f\""
                            + " stroke=\"#eee\"/>%n",
                    y + 4,
                    v,
                    unit,
                    left,
                    y,
                    w - 10,
                    y));
        }
        int[][] events = {
            {phases.slowAt(), 0}, {phases.stopAt(), 1}, {phases.restartAt(), 2},
        };
        String[] labels = {
            "slow " + serverNames.get(phases.slowServer()),
            "stop " + serverNames.get(phases.stoppedServer()),
            "restart " + serverNames.get(phases.stoppedServer())
        };
        for (int[] e : events) {
            double x = left + e[0] * xScale;
            svg.append(String.format(
                    Locale.ROOT,
                    "<line x1=\"%.1f\" y1=\"10\" x2=\"%.1f\" y2=\"%d\" stroke=\"#999\" stroke-dasharray=\"4\"/>"
                            + "<text x=\"%.1f\" y=\"%d\">%s</text>%n",
                    x,
                    x,
                    h - bottom,
                    x + 3,
                    20 + 12 * e[1],
                    labels[e[1]]));
        }
        for (int s = 0; s < n; s += Math.max(1, n / 10)) {
            svg.append(String.format(
                    Locale.ROOT, "<text x=\"%.1f\" y=\"%d\">%ds</text>%n", left + s * xScale, h - bottom + 15, s));
        }
        for (int i = 0; i < lines.length; i++) {
            StringBuilder points = new StringBuilder();
            for (int s = 0; s < n; s++) {
                points.append(String.format(
                        Locale.ROOT,
                        "%.1f,%.1f ",
                        left + s * xScale,
                        h - bottom - Math.min(maxY, lines[i][s]) * yScale));
            }
            String color = COLORS[i % COLORS.length];
            svg.append(String.format(
                    Locale.ROOT,
                    "<polyline fill=\"none\" stroke=\"%s\" stroke-width=\"1.5\" points=\"%s\"/>%n",
                    color,
                    points.toString().trim()));
            svg.append(String.format(
                    Locale.ROOT,
                    "<rect x=\"%d\" y=\"%d\" width=\"10\" height=\"10\" fill=\"%s\"/><text x=\"%d\" y=\"%d\">%s</text>%n",
                    left + 90 * i,
                    h + 2,
                    color,
                    left + 90 * i + 14,
                    h + 11,
                    escape(names.get(i))));
        }
        svg.append("</svg>\n");
        return svg.toString();
    }

    private static String escape(String s) {
        return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;");
    }
}
