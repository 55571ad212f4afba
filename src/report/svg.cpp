// The pictures of `shardrun report`: a Gantt chart of the shards, the job's
// utilization over time and a histogram of shard durations, as one SVG.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <map>

#include "report/run_view.hpp"

namespace shardrun::report {
namespace {

constexpr double kWidth = 1100, kLeft = 90, kRight = 20;
constexpr double kPlot = kWidth - kLeft - kRight;
constexpr std::size_t kMaxLanes = 256;      // beyond: ranks share lanes
constexpr std::size_t kMaxRects = 20'000;   // beyond: lanes drawn as coverage per pixel column
constexpr const char* kOwn = "#4682b4";     // steelblue
constexpr const char* kStolen = "#e8871e";  // orange
constexpr const char* kFailed = "#c0392b";

std::string num(double x) {
  char text[32];
  std::snprintf(text, sizeof text, "%.2f", x);
  return text;
}

std::string escape(const std::string& text) {
  std::string out;
  for (char c : text) {
    if (c == '<')
      out += "&lt;";
    else if (c == '>')
      out += "&gt;";
    else if (c == '&')
      out += "&amp;";
    else if (c == '"')
      out += "&quot;";
    else
      out += c;
  }
  return out;
}

// A tick spacing of 1, 2 or 5 × 10^k giving about `count` ticks over `span`.
double tick_step(double span, int count) {
  if (!(span > 0)) return 1;
  const double raw = span / count, base = std::pow(10.0, std::floor(std::log10(raw)));
  for (double m : {1.0, 2.0, 5.0, 10.0})
    if (m * base >= raw) return m * base;
  return 10 * base;
}

void axis(std::string& svg, double top, double height, double span, const char* unit) {
  svg += "<line x1='" + num(kLeft) + "' y1='" + num(top + height) + "' x2='" + num(kLeft + kPlot) +
         "' y2='" + num(top + height) + "' stroke='#444'/>\n";
  const double step = tick_step(span, 8);
  for (double t = 0; t <= span * 1.0001 && span > 0; t += step) {
    const double x = kLeft + t / span * kPlot;
    svg += "<line x1='" + num(x) + "' y1='" + num(top + height) + "' x2='" + num(x) + "' y2='" +
           num(top + height + 4) + "' stroke='#444'/><text x='" + num(x) + "' y='" +
           num(top + height + 16) + "' font-size='11' text-anchor='middle'>" + num(t) + "</text>\n";
  }
  svg += "<text x='" + num(kLeft + kPlot) + "' y='" + num(top + height + 30) +
         "' font-size='11' text-anchor='end'>" + unit + "</text>\n";
}

// "shard 7, rank 1 thread 0", or a farm's "task 2 attempt 2 (failed), rank 0 slot 1".
std::string span_name(const Span& s) {
  if (s.attempt == 0)
    return "shard " + std::to_string(s.shard) + ", rank " + std::to_string(s.rank) + " thread " +
           std::to_string(s.thread);
  return "task " + std::to_string(s.shard) + " attempt " + std::to_string(s.attempt) +
         (s.failed ? " (failed)" : "") + ", rank " + std::to_string(s.rank) + " slot " +
         std::to_string(s.thread + 1);
}

// Lanes: one per rank × thread while they fit, else ranks grouped.
struct Lanes {
  std::size_t count = 1;
  std::size_t ranks_per_lane = 1;
  bool per_thread = true;
  std::size_t of(const Span& s, int threads) const {
    if (per_thread) return s.rank * static_cast<std::size_t>(threads) + s.thread;
    return s.rank / ranks_per_lane;
  }
  std::string label(std::size_t lane, int threads) const {
    if (per_thread)
      return "r" + std::to_string(lane / threads) +
             (threads > 1 ? " t" + std::to_string(lane % threads) : "");
    if (ranks_per_lane == 1) return "r" + std::to_string(lane);
    return "r" + std::to_string(lane * ranks_per_lane) + "-" +
           std::to_string((lane + 1) * ranks_per_lane - 1);
  }
};

Lanes lanes_for(const RunView& v) {
  Lanes l;
  const auto ranks = static_cast<std::size_t>(std::max(1, v.ranks));
  const auto threads = static_cast<std::size_t>(std::max(1, v.threads));
  if (ranks * threads <= kMaxLanes) {
    l.count = ranks * threads;
    return l;
  }
  l.per_thread = false;
  l.ranks_per_lane = (ranks + kMaxLanes - 1) / kMaxLanes;
  l.count = (ranks + l.ranks_per_lane - 1) / l.ranks_per_lane;
  return l;
}

void gantt(std::string& svg, const RunView& v, double top, double& height) {
  const Lanes lanes = lanes_for(v);
  const double lane_h = std::clamp(560.0 / static_cast<double>(lanes.count), 1.0, 16.0);
  height = lane_h * static_cast<double>(lanes.count);
  const double span = std::max(v.makespan_s, 1e-9);
  double end = 0;
  for (const Span& s : v.spans) end = std::max(end, s.end_s);
  const double scale = kPlot / std::max(span, end);
  svg += "<text x='" + num(kLeft) + "' y='" + num(top - 8) +
         "' font-size='13' font-weight='bold'>Shards over time, a lane per " +
         (lanes.per_thread            ? std::string("rank x thread")
          : lanes.ranks_per_lane == 1 ? std::string("rank")
                                      : std::to_string(lanes.ranks_per_lane) + " ranks") +
         (v.stride > 1 ? " (every " + std::to_string(v.stride) + "th shard)" : "") + "</text>\n";
  const std::size_t label_every = std::max<std::size_t>(1, static_cast<std::size_t>(12 / lane_h));
  for (std::size_t lane = 0; lane < lanes.count; lane += label_every)
    svg += "<text x='" + num(kLeft - 6) + "' y='" +
           num(top + (static_cast<double>(lane) + 0.8) * lane_h) + "' font-size='" +
           num(std::min(11.0, std::max(8.0, lane_h))) + "' text-anchor='end'>" +
           lanes.label(lane, v.threads) + "</text>\n";
  svg += "<g class='lanes'>\n";
  if (v.spans.size() <= kMaxRects && lanes.per_thread) {
    for (const Span& s : v.spans) {
      const double x = kLeft + s.start_s * scale;
      const double w = std::max(0.4, (s.end_s - s.start_s) * scale);
      const double y = top + static_cast<double>(lanes.of(s, v.threads)) * lane_h;
      svg += "<rect class='shard' x='" + num(x) + "' y='" + num(y) + "' width='" + num(w) +
             "' height='" + num(std::max(0.8, lane_h - (lane_h > 3 ? 1 : 0))) + "' fill='" +
             (s.failed   ? kFailed
              : s.stolen ? kStolen
                         : kOwn) +
             "'><title>" + span_name(s) + ", " + num(s.start_s) + "-" + num(s.end_s) + " s" +
             (s.stolen ? ", stolen" : "") + "</title></rect>\n";
    }
  } else {
    // Coverage of each lane's pixel columns: busy fraction, stolen share.
    const std::size_t columns = static_cast<std::size_t>(kPlot);
    const double threads_per_lane =
        lanes.per_thread ? 1.0 : static_cast<double>(lanes.ranks_per_lane) * std::max(1, v.threads);
    std::vector<double> busy(lanes.count * columns, 0), stolen(lanes.count * columns, 0);
    for (const Span& s : v.spans) {
      const std::size_t lane = lanes.of(s, v.threads);
      const double a = s.start_s * scale, b = s.end_s * scale;
      for (auto c = static_cast<std::size_t>(a); c < columns && static_cast<double>(c) < b; ++c) {
        const double part =
            std::min(b, static_cast<double>(c) + 1.0) - std::max(a, static_cast<double>(c));
        busy[lane * columns + c] += part * static_cast<double>(v.stride);
        if (s.stolen) stolen[lane * columns + c] += part * static_cast<double>(v.stride);
      }
    }
    for (std::size_t lane = 0; lane < lanes.count; ++lane) {
      for (std::size_t c = 0; c < columns;) {
        const double f = std::min(1.0, busy[lane * columns + c] / threads_per_lane);
        const int level = static_cast<int>(std::round(f * 4));
        const bool mostly_stolen = stolen[lane * columns + c] * 2 > busy[lane * columns + c];
        std::size_t run = c + 1;
        while (run < columns &&
               static_cast<int>(std::round(
                   std::min(1.0, busy[lane * columns + run] / threads_per_lane) * 4)) == level &&
               (stolen[lane * columns + run] * 2 > busy[lane * columns + run]) == mostly_stolen)
          ++run;
        if (level > 0)
          svg += "<rect x='" + num(kLeft + static_cast<double>(c)) + "' y='" +
                 num(top + static_cast<double>(lane) * lane_h) + "' width='" +
                 num(static_cast<double>(run - c)) + "' height='" + num(std::max(0.8, lane_h)) +
                 "' fill='" + (mostly_stolen ? kStolen : kOwn) + "' fill-opacity='" +
                 num(level / 4.0) + "'/>\n";
        c = run;
      }
    }
  }
  svg += "</g>\n";
  axis(svg, top, height, std::max(span, end), "seconds since the start");
}

void utilization(std::string& svg, const RunView& v, double top, double height) {
  svg += "<text x='" + num(kLeft) + "' y='" + num(top - 8) +
         "' font-size='13' font-weight='bold'>Utilization: busy threads / all threads</text>\n";
  svg += "<rect x='" + num(kLeft) + "' y='" + num(top) + "' width='" + num(kPlot) + "' height='" +
         num(height) + "' fill='none' stroke='#ccc'/>\n";
  for (double f : {0.0, 0.5, 1.0})
    svg += "<text x='" + num(kLeft - 6) + "' y='" + num(top + height * (1 - f) + 4) +
           "' font-size='11' text-anchor='end'>" + num(f) + "</text>\n";
  const double span = std::max(v.makespan_s, 1e-9);
  if (v.bins == 0 || !(v.bin_s > 0)) return;
  const double capacity =
      static_cast<double>(std::max(1, v.ranks) * std::max(1, v.threads)) * v.bin_s;
  std::string points;
  for (std::size_t bin = 0; bin < v.bins; ++bin) {
    const double t0 = static_cast<double>(bin) * v.bin_s;
    if (t0 > span) break;
    double busy = 0;
    for (int r = 0; r < v.ranks; ++r) busy += v.busy[static_cast<std::size_t>(r) * v.bins + bin];
    const double f = std::min(1.0, busy / capacity);
    const double x0 = kLeft + t0 / span * kPlot;
    const double x1 = kLeft + std::min(span, t0 + v.bin_s) / span * kPlot;
    const double y = top + height * (1 - f);
    points += num(x0) + "," + num(y) + " " + num(x1) + "," + num(y) + " ";
  }
  svg += "<polyline class='utilization' fill='none' stroke='" + std::string(kOwn) +
         "' stroke-width='1.5' points='" + points + "'/>\n";
  axis(svg, top, height, span, "seconds since the start");
}

void durations(std::string& svg, const RunView& v, double top, double height) {
  svg += "<text x='" + num(kLeft) + "' y='" + num(top - 8) +
         "' font-size='13' font-weight='bold'>Shard durations (log scale)</text>\n";
  std::vector<double> d;
  for (double x : v.durations)
    if (x > 0 && std::isfinite(x)) d.push_back(x);
  if (d.empty()) return;
  const auto [lo_it, hi_it] = std::minmax_element(d.begin(), d.end());
  const double lo = std::log10(*lo_it), hi = std::max(lo + 1e-9, std::log10(*hi_it));
  constexpr int kBars = 40;
  std::vector<std::uint64_t> counts(kBars, 0);
  for (double x : d)
    ++counts[std::min(kBars - 1, static_cast<int>((std::log10(x) - lo) / (hi - lo) * kBars))];
  const double most = static_cast<double>(*std::max_element(counts.begin(), counts.end()));
  const double w = kPlot / kBars;
  for (int i = 0; i < kBars; ++i) {
    const double h = static_cast<double>(counts[i]) / most * height;
    svg += "<rect class='bar' x='" + num(kLeft + i * w) + "' y='" + num(top + height - h) +
           "' width='" + num(w - 1) + "' height='" + num(h) + "' fill='" + kOwn + "'><title>" +
           std::to_string(counts[i]) + " shards</title></rect>\n";
  }
  svg += "<line x1='" + num(kLeft) + "' y1='" + num(top + height) + "' x2='" + num(kLeft + kPlot) +
         "' y2='" + num(top + height) + "' stroke='#444'/>\n";
  for (int i = 0; i <= 4; ++i) {
    const double x = kLeft + kPlot * i / 4;
    svg += "<text x='" + num(x) + "' y='" + num(top + height + 16) +
           "' font-size='11' text-anchor='middle'>" +
           [&] {
             char t[32];
             std::snprintf(t, sizeof t, "%.3g s", std::pow(10.0, lo + (hi - lo) * i / 4));
             return std::string(t);
           }() +
           "</text>\n";
  }
  svg += "<text x='" + num(kLeft - 6) + "' y='" + num(top + 10) +
         "' font-size='11' text-anchor='end'>" + std::to_string(static_cast<std::uint64_t>(most)) +
         "</text>\n";
}

}  // namespace

std::string timeline_svg(const RunView& v) {
  std::string body;
  double y = 50;
  if (!v.spans.empty()) {
    double height = 0;
    gantt(body, v, y + 20, height);
    y += 20 + height + 50;
    utilization(body, v, y + 20, 100);
    y += 20 + 100 + 50;
  }
  durations(body, v, y + 20, 100);
  y += 20 + 100 + 40;
  std::string legend =
      "<rect x='" + num(kLeft) + "' y='" + num(y) + "' width='12' height='10' fill='" + kOwn +
      "'/><text x='" + num(kLeft + 16) + "' y='" + num(y + 9) +
      "' font-size='11'>a rank's own shard</text><rect x='" + num(kLeft + 140) + "' y='" + num(y) +
      "' width='12' height='10' fill='" + kStolen + "'/><text x='" + num(kLeft + 156) + "' y='" +
      num(y + 9) + "' font-size='11'>stolen</text><rect x='" + num(kLeft + 220) + "' y='" + num(y) +
      "' width='12' height='10' fill='" + kFailed + "'/><text x='" + num(kLeft + 236) + "' y='" +
      num(y + 9) + "' font-size='11'>failed</text>\n";
  y += 30;
  char title[512];
  std::snprintf(title, sizeof title,
                "%s: %d rank(s) x %d thread(s), %llu shards, makespan %.3f s, efficiency %.3f",
                v.job.c_str(), v.ranks, v.threads, static_cast<unsigned long long>(v.shards),
                v.makespan_s, v.efficiency);
  return "<svg xmlns='http://www.w3.org/2000/svg' width='" + num(kWidth) + "' height='" + num(y) +
         "' viewBox='0 0 " + num(kWidth) + " " + num(y) +
         "' font-family='sans-serif'>\n<rect width='100%' height='100%' fill='white'/>\n"
         "<text x='" +
         num(kLeft) + "' y='24' font-size='15' font-weight='bold'>" + escape(title) + "</text>\n" +
         body + legend + "</svg>\n";
}

std::string timeline_html(const RunView& v) {
  return "<!DOCTYPE html>\n<html lang='en'><head><meta charset='utf-8'><title>shardrun report: " +
         escape(v.path) +
         "</title>\n<style>body{font-family:sans-serif;margin:1.5em;color:#222}"
         "pre{background:#f6f6f6;padding:1em;overflow:auto}</style></head>\n<body>\n"
         "<h1>shardrun report</h1>\n" +
         timeline_svg(v) + "<pre>" + escape(summary_text(v)) + "</pre>\n</body></html>\n";
}

}  // namespace shardrun::report
