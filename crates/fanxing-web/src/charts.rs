//! Charts drawn as SVG on the server, so pages, print and exports share
//! them and they work without JavaScript: the province choropleth, the
//! burn-up of attendances against the plan, and horizontal bars.
//!
//! The map projection is small and tested here rather than a dependency:
//! an equirectangular projection scaled by the cosine of the mid latitude,
//! which is accurate enough for one province.

use std::fmt::Write as _;
use std::sync::LazyLock;

/// One city's outline, projected into the map's view box.
pub struct CityShape {
    pub code: String,
    pub name: String,
    /// SVG path data.
    pub path: String,
    /// Where to put the label.
    pub label: (f64, f64),
}

const GEOJSON: &str = include_str!("../data/jiangsu-cities.geojson");
pub const MAP_W: f64 = 560.0;
pub const MAP_H: f64 = 520.0;

/// The 13 city shapes, projected once.
pub static JIANGSU: LazyLock<Vec<CityShape>> = LazyLock::new(|| project(GEOJSON, MAP_W, MAP_H));

fn rings(geometry: &serde_json::Value) -> Vec<Vec<(f64, f64)>> {
    let coords = &geometry["coordinates"];
    let polygons: Vec<&serde_json::Value> = match geometry["type"].as_str() {
        Some("Polygon") => vec![coords],
        Some("MultiPolygon") => coords
            .as_array()
            .map(|a| a.iter().collect())
            .unwrap_or_default(),
        _ => Vec::new(),
    };
    polygons
        .into_iter()
        .flat_map(|p| p.as_array().cloned().unwrap_or_default())
        .map(|ring| {
            ring.as_array()
                .map(|pts| {
                    pts.iter()
                        .filter_map(|pt| Some((pt.get(0)?.as_f64()?, pt.get(1)?.as_f64()?)))
                        .collect()
                })
                .unwrap_or_default()
        })
        .collect()
}

/// Projects a GeoJSON FeatureCollection (with `properties.adcode` and
/// `name`) into a `w`×`h` box, keeping the aspect ratio.
pub fn project(geojson: &str, w: f64, h: f64) -> Vec<CityShape> {
    let Ok(doc) = serde_json::from_str::<serde_json::Value>(geojson) else {
        return Vec::new();
    };
    let features = doc["features"].as_array().cloned().unwrap_or_default();
    let all: Vec<(f64, f64)> = features
        .iter()
        .flat_map(|f| rings(&f["geometry"]).into_iter().flatten())
        .collect();
    if all.is_empty() {
        return Vec::new();
    }
    let (mut lo_x, mut hi_x, mut lo_y, mut hi_y) = (f64::MAX, f64::MIN, f64::MAX, f64::MIN);
    for (x, y) in &all {
        lo_x = lo_x.min(*x);
        hi_x = hi_x.max(*x);
        lo_y = lo_y.min(*y);
        hi_y = hi_y.max(*y);
    }
    let k = ((lo_y + hi_y) / 2.0).to_radians().cos();
    let scale = ((w - 20.0) / ((hi_x - lo_x) * k)).min((h - 20.0) / (hi_y - lo_y));
    let off_x = (w - (hi_x - lo_x) * k * scale) / 2.0;
    let off_y = (h - (hi_y - lo_y) * scale) / 2.0;
    let px = |(x, y): (f64, f64)| (off_x + (x - lo_x) * k * scale, off_y + (hi_y - y) * scale);
    features
        .iter()
        .map(|f| {
            let mut path = String::new();
            let mut sum = (0.0, 0.0, 0usize);
            for ring in rings(&f["geometry"]) {
                for (i, pt) in ring.iter().enumerate() {
                    let (x, y) = px(*pt);
                    let _ = write!(path, "{}{x:.1},{y:.1}", if i == 0 { "M" } else { "L" });
                    sum = (sum.0 + x, sum.1 + y, sum.2 + 1);
                }
                path.push('Z');
            }
            let p = &f["properties"];
            // The label point shipped with the data, else the mean vertex.
            let label = match (
                p["cp"].get(0).and_then(|v| v.as_f64()),
                p["cp"].get(1).and_then(|v| v.as_f64()),
            ) {
                (Some(x), Some(y)) => px((x, y)),
                _ => (sum.0 / sum.2.max(1) as f64, sum.1 / sum.2.max(1) as f64),
            };
            CityShape {
                code: p["adcode"]
                    .as_str()
                    .map(str::to_string)
                    .unwrap_or_else(|| p["adcode"].to_string()),
                name: p["name"].as_str().unwrap_or("").to_string(),
                path,
                label,
            }
        })
        .collect()
}

/// Escapes text for SVG.
pub fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// A colour from pale to deep red for a share of target in 0..=1 (grey when
/// there is no target).
pub fn share_colour(share: Option<f64>) -> &'static str {
    match share {
        None => "#e4e7ec",
        Some(s) => STEPS[((s.clamp(0.0, 0.9999)) * STEPS.len() as f64) as usize],
    }
}

/// What the map shows for one city.
pub struct CityValue {
    pub code: String,
    pub share: Option<f64>,
    pub title: String,
    pub href: String,
}

/// The colour step of each value by its rank among the others (quantiles),
/// so that thirteen close shares still get distinguishable shades; `None`
/// stays grey. Returns one index into [`share_colour`]'s steps per value.
pub fn quantile_steps(shares: &[Option<f64>]) -> Vec<Option<usize>> {
    let mut known: Vec<f64> = shares.iter().flatten().copied().collect();
    known.sort_by(|a, b| a.total_cmp(b));
    let n = known.len();
    shares
        .iter()
        .map(|s| {
            s.map(|v| {
                // Rank of the first equal value, so equal shares share a colour.
                let rank = known.partition_point(|k| *k < v);
                (rank * STEPS.len() / n.max(1)).min(STEPS.len() - 1)
            })
        })
        .collect()
}

const STEPS: [&str; 6] = [
    "#fde0dc", "#f9b4ab", "#f28579", "#e35a4f", "#c8102e", "#8e0b20",
];

/// The legend strip's height under the map.
const LEGEND_H: f64 = 56.0;

/// The choropleth: each city filled by its share of target (shades by
/// quantile among the cities), its name and share written on it, a link to
/// its own dashboard with a hover title, and a legend of the shades' ranges.
pub fn province_map(values: &[CityValue], aria: &str) -> String {
    let h = MAP_H + LEGEND_H;
    let mut svg = format!(
        r#"<svg class="map" viewBox="0 0 {MAP_W} {h}" role="group" aria-label="{}" xmlns="http://www.w3.org/2000/svg">"#,
        esc(aria)
    );
    let found: Vec<Option<&CityValue>> = JIANGSU
        .iter()
        .map(|shape| values.iter().find(|v| v.code == shape.code))
        .collect();
    let shares: Vec<Option<f64>> = found.iter().map(|v| v.and_then(|v| v.share)).collect();
    let steps = quantile_steps(&shares);
    for (i, shape) in JIANGSU.iter().enumerate() {
        let v = found[i];
        let fill = steps[i].map(|k| STEPS[k]).unwrap_or("#e4e7ec");
        let (href, title) = v
            .map(|v| (v.href.as_str(), v.title.as_str()))
            .unwrap_or(("", ""));
        let share = shares[i]
            .map(|s| format!("{:.0}%", s * 100.0))
            .unwrap_or_default();
        let _ = write!(
            svg,
            r##"<a href="{}" data-code="{}"><path d="{}" fill="{fill}" stroke="#fff" stroke-width="1"><title>{}</title></path><text x="{:.0}" y="{:.0}" text-anchor="middle" class="map-label">{}</text><text x="{:.0}" y="{:.0}" text-anchor="middle" class="map-share">{share}</text></a>"##,
            esc(href),
            esc(&shape.code),
            shape.path,
            esc(title),
            shape.label.0,
            shape.label.1,
            esc(shape.name.trim_end_matches('市')),
            shape.label.0,
            shape.label.1 + 14.0,
        );
    }
    // The legend: each shade with the range of shares it stands for.
    let mut ranges: Vec<Option<(f64, f64)>> = vec![None; STEPS.len()];
    for (k, s) in steps.iter().zip(&shares) {
        if let (Some(k), Some(s)) = (k, s) {
            let r = ranges[*k].get_or_insert((*s, *s));
            r.0 = r.0.min(*s);
            r.1 = r.1.max(*s);
        }
    }
    let used: Vec<(usize, (f64, f64))> = ranges
        .iter()
        .enumerate()
        .filter_map(|(k, r)| r.map(|r| (k, r)))
        .collect();
    let slot = MAP_W / used.len().max(1) as f64;
    for (j, (k, (lo, hi))) in used.iter().enumerate() {
        let x = j as f64 * slot + 4.0;
        let label = if (hi - lo).abs() < 0.005 {
            format!("{:.0}%", lo * 100.0)
        } else {
            format!("{:.0}–{:.0}%", lo * 100.0, hi * 100.0)
        };
        let _ = write!(
            svg,
            r##"<rect x="{x:.1}" y="{:.0}" width="18" height="14" fill="{}" stroke="#999" stroke-width=".5"/><text x="{:.1}" y="{:.0}" class="axis">{label}</text>"##,
            MAP_H + 14.0,
            STEPS[*k],
            x + 22.0,
            MAP_H + 26.0,
        );
    }
    svg.push_str("</svg>");
    svg
}

/// Round steps for an axis up to `top`: 1, 2 or 5 × 10ⁿ, about four ticks.
pub fn nice_ticks(top: f64) -> Vec<f64> {
    if top <= 0.0 || !top.is_finite() {
        return vec![0.0];
    }
    let raw = top / 4.0;
    let mag = 10f64.powf(raw.log10().floor());
    let step = [1.0, 2.0, 5.0, 10.0]
        .iter()
        .map(|m| m * mag)
        .find(|s| *s >= raw)
        .unwrap_or(10.0 * mag);
    let mut out = Vec::new();
    let mut v = 0.0;
    while v <= top * 1.0001 {
        out.push(v);
        v += step;
    }
    out
}

/// The burn-up: cumulative actuals (solid line) against the straight plan
/// from zero to the target over the programme period, `today` marked, a
/// y axis with round ticks and a legend. Points after the programme's last
/// day are left out: the chart ends with the programme.
pub fn burn_up(
    points: &[(i64, i64)],
    start: i64,
    end: i64,
    target: i64,
    today: i64,
    labels: (&str, &str),
    lang: fanxing_core::Lang,
) -> String {
    let (w, h, left, right, top_pad, bottom) = (640.0, 290.0, 56.0, 16.0, 40.0, 30.0);
    let points: Vec<(i64, i64)> = points.iter().copied().filter(|p| p.0 <= end).collect();
    let span = (end - start).max(1) as f64;
    let last = points.last().map(|p| p.1).unwrap_or(0);
    let ticks = nice_ticks(target.max(last).max(1) as f64);
    let top = ticks
        .last()
        .copied()
        .unwrap_or(1.0)
        .max(target.max(last) as f64)
        .max(1.0);
    let x = |t: i64| left + ((t - start) as f64 / span).clamp(0.0, 1.0) * (w - left - right);
    let y = |v: f64| h - bottom - (v / top) * (h - top_pad - bottom);
    let mut svg = format!(
        r#"<svg class="burnup" viewBox="0 0 {w} {h}" role="img" aria-label="{}" xmlns="http://www.w3.org/2000/svg">"#,
        esc(&format!(
            "{}：{} / {}：{}",
            labels.0,
            fanxing_core::numfmt::grouped(last),
            labels.1,
            fanxing_core::numfmt::grouped(target)
        ))
    );
    for t in &ticks {
        let _ = write!(
            svg,
            r##"<line x1="{left}" y1="{yy:.1}" x2="{r}" y2="{yy:.1}" stroke="#e4e7ec"/><text x="{:.0}" y="{:.1}" class="axis" text-anchor="end">{}</text>"##,
            left - 6.0,
            y(*t) + 4.0,
            fanxing_core::numfmt::tick(*t as i64, lang),
            yy = y(*t),
            r = w - right,
        );
    }
    let _ = write!(
        svg,
        r##"<line x1="{left}" y1="{b}" x2="{r}" y2="{b}" stroke="#999"/><line x1="{left}" y1="{top_pad}" x2="{left}" y2="{b}" stroke="#999"/>"##,
        b = h - bottom,
        r = w - right
    );
    // The plan: a straight line to the target.
    let _ = write!(
        svg,
        r##"<line x1="{:.1}" y1="{:.1}" x2="{:.1}" y2="{:.1}" stroke="#1f5fbf" stroke-dasharray="6 4" stroke-width="2"><title>{}: {target}</title></line>"##,
        x(start),
        y(0.0),
        x(end),
        y(target as f64),
        esc(labels.1)
    );
    if !points.is_empty() {
        let mut d = format!("M{:.1},{:.1}", x(start), y(0.0));
        for (t, v) in &points {
            let _ = write!(d, "L{:.1},{:.1}", x(*t), y(*v as f64));
        }
        let _ = write!(
            svg,
            r##"<path d="{d}" fill="none" stroke="#c8102e" stroke-width="2.5"><title>{}: {last}</title></path>"##,
            esc(labels.0)
        );
    }
    if (start..=end).contains(&today) {
        let tx = x(today);
        let _ = write!(
            svg,
            r##"<line x1="{tx:.1}" y1="{top_pad}" x2="{tx:.1}" y2="{:.1}" stroke="#555" stroke-dasharray="2 3"/>"##,
            h - bottom
        );
    }
    // Dates under the axis, and the legend above the plot.
    let _ = write!(
        svg,
        r##"<text x="{left}" y="{:.0}" class="axis">{}</text><text x="{:.0}" y="{:.0}" class="axis" text-anchor="end">{}</text>"##,
        h - 10.0,
        esc(&fanxing_core::training::format_local(start)[..10]),
        w - right,
        h - 10.0,
        esc(&fanxing_core::training::format_local(end - 1)[..10]),
    );
    let _ = write!(
        svg,
        r##"<g class="legend"><line x1="{left}" y1="14" x2="{:.0}" y2="14" stroke="#c8102e" stroke-width="2.5"/><text x="{:.0}" y="18" class="axis">{} {}</text><line x1="{:.0}" y1="14" x2="{:.0}" y2="14" stroke="#1f5fbf" stroke-dasharray="6 4" stroke-width="2"/><text x="{:.0}" y="18" class="axis">{} {}</text></g>"##,
        left + 24.0,
        left + 30.0,
        esc(labels.0),
        fanxing_core::numfmt::count(last, lang),
        left + 200.0,
        left + 224.0,
        left + 230.0,
        esc(labels.1),
        fanxing_core::numfmt::count(target, lang),
    );
    svg.push_str("</svg>");
    svg
}

/// A funnel as horizontal bars, each stage's width relative to the first,
/// with the stage-to-stage rate on the right. Stages: (label, count).
pub fn funnel(stages: &[(&str, i64)], aria: &str) -> String {
    let (w, row) = (640.0, 40.0);
    let h = row * stages.len().max(1) as f64 + 8.0;
    let first = stages.first().map(|s| s.1).unwrap_or(0).max(1) as f64;
    let mut svg = format!(
        r#"<svg class="funnel" viewBox="0 0 {w} {h}" role="img" aria-label="{}" xmlns="http://www.w3.org/2000/svg">"#,
        esc(aria)
    );
    let bar_left = 130.0;
    let bar_max = w - bar_left - 90.0;
    for (i, (label, n)) in stages.iter().enumerate() {
        let y = 4.0 + i as f64 * row;
        let bw = ((*n).max(0) as f64 / first * bar_max).max(1.0);
        let rate = match i {
            0 => String::new(),
            _ => {
                let prev = stages[i - 1].1;
                if prev > 0 {
                    format!("{:.1}%", *n as f64 / prev as f64 * 100.0)
                } else {
                    "—".into()
                }
            }
        };
        let _ = write!(
            svg,
            r##"<text x="{:.0}" y="{:.0}" class="axis" text-anchor="end">{}</text><rect x="{bar_left}" y="{y:.0}" width="{bw:.1}" height="{:.0}" fill="#1f5fbf" opacity="{:.2}"><title>{}: {n}</title></rect><text x="{:.0}" y="{:.0}" class="axis">{n}</text><text x="{:.0}" y="{:.0}" class="axis" text-anchor="end">{rate}</text>"##,
            bar_left - 8.0,
            y + 24.0,
            esc(label),
            row - 10.0,
            1.0 - i as f64 * 0.15,
            esc(label),
            bar_left + bw + 6.0,
            y + 24.0,
            w - 4.0,
            y + 24.0,
        );
    }
    svg.push_str("</svg>");
    svg
}

/// Vertical bars, one per (label, value, hover title), over a y axis with
/// round ticks; with a dozen bars or fewer each carries its value. An empty
/// series draws an empty frame.
pub fn bars(points: &[(String, f64, String)], aria: &str, lang: fanxing_core::Lang) -> String {
    let (w, h, left, right, top_pad, bottom) = (640.0, 240.0, 52.0, 12.0, 18.0, 30.0);
    let max = points.iter().map(|p| p.1).fold(0.0, f64::max);
    let ticks = nice_ticks(max.max(1.0));
    let top = ticks.last().copied().unwrap_or(1.0).max(max).max(1e-9);
    let n = points.len().max(1) as f64;
    let slot = (w - left - right) / n;
    let y = |v: f64| h - bottom - (v.max(0.0) / top) * (h - top_pad - bottom);
    let mut svg = format!(
        r##"<svg class="bars" viewBox="0 0 {w} {h}" role="img" aria-label="{}" xmlns="http://www.w3.org/2000/svg">"##,
        esc(aria),
    );
    for t in &ticks {
        let _ = write!(
            svg,
            r##"<line x1="{left}" y1="{yy:.1}" x2="{r}" y2="{yy:.1}" stroke="#e4e7ec"/><text x="{:.0}" y="{:.1}" class="axis" text-anchor="end">{}</text>"##,
            left - 6.0,
            y(*t) + 4.0,
            fanxing_core::numfmt::tick(*t as i64, lang),
            yy = y(*t),
            r = w - right,
        );
    }
    let _ = write!(
        svg,
        r##"<line x1="{left}" y1="{b}" x2="{r}" y2="{b}" stroke="#999"/>"##,
        b = h - bottom,
        r = w - right
    );
    let labelled = points.len() <= 12;
    for (i, (label, v, title)) in points.iter().enumerate() {
        let bh = h - bottom - y(*v);
        let x = left + i as f64 * slot + slot * 0.15;
        let _ = write!(
            svg,
            r##"<rect x="{x:.1}" y="{:.1}" width="{:.1}" height="{bh:.1}" fill="#c8102e"><title>{}</title></rect><text x="{:.1}" y="{:.0}" class="axis" text-anchor="middle">{}</text>"##,
            h - bottom - bh,
            slot * 0.7,
            esc(title),
            x + slot * 0.35,
            h - 10.0,
            esc(label)
        );
        if labelled {
            let _ = write!(
                svg,
                r##"<text x="{:.1}" y="{:.1}" class="axis value" text-anchor="middle">{}</text>"##,
                x + slot * 0.35,
                h - bottom - bh - 4.0,
                fanxing_core::numfmt::tick(v.round() as i64, lang)
            );
        }
    }
    svg.push_str("</svg>");
    svg
}

/// Round ticks spanning `lo ..= hi` and zero: 1, 2, 2.5 or 5 × 10ⁿ apart,
/// about five of them, the first at or below both and the last at or above.
pub fn span_ticks(lo: f64, hi: f64) -> Vec<f64> {
    let (lo, hi) = (lo.min(0.0), hi.max(0.0));
    if !(hi - lo).is_finite() || hi - lo <= 0.0 {
        return vec![0.0];
    }
    let raw = (hi - lo) / 4.0;
    let mag = 10f64.powf(raw.log10().floor());
    let step = [1.0, 2.0, 2.5, 5.0, 10.0]
        .iter()
        .map(|m| m * mag)
        .find(|s| *s >= raw * 0.9999)
        .unwrap_or(10.0 * mag);
    let (first, last) = (
        (lo / step + 1e-9).floor() as i64,
        (hi / step - 1e-9).ceil() as i64,
    );
    (first..=last).map(|k| k as f64 * step).collect()
}

/// How many decimals tick labels `step` apart need (2.5 × 10ⁿ one more).
fn decimals_for(step: f64) -> usize {
    let mag = step.log10().floor();
    let extra = ((step / 10f64.powf(mag) - 2.5).abs() < 1e-9) as i64;
    (extra - mag as i64).max(0) as usize
}

/// A signed axis label with as many decimals as the tick step needs.
fn signed(v: f64, decimals: usize) -> String {
    if v.abs() < 1e-12 {
        return "0".into();
    }
    format!("{v:+.decimals$}")
}

/// What the event-study chart says, in the reader's language.
pub struct EventLabels<'a> {
    /// Above the plot: what is shown.
    pub title: &'a str,
    /// Beside the y axis: the quantity and its unit.
    pub y_title: &'a str,
    /// Under the x axis: weeks counted from training.
    pub x_title: &'a str,
    /// Legend: the weekly estimate (line) and its interval (band).
    pub line: &'a str,
    pub band: &'a str,
}

/// The event-study chart: the effect week by week before and after training
/// (points `(week, estimate, low, high)` already in the unit the y title
/// names) with its interval as a band, a y axis of round ticks with the
/// zero line drawn dark and labelled (no effect), the training week
/// marked, a title and a legend. Weeks whose figures are not finite are
/// left out.
pub fn event_study(points: &[(i64, f64, f64, f64)], labels: &EventLabels) -> String {
    let (w, h, left, right, top_pad, bottom) = (640.0, 300.0, 62.0, 16.0, 52.0, 44.0);
    let mut svg = format!(
        r#"<svg class="event" viewBox="0 0 {w} {h}" role="img" aria-label="{}" xmlns="http://www.w3.org/2000/svg"><text x="{left}" y="16" class="chart-title">{}</text>"#,
        esc(&format!("{}（{}）", labels.title, labels.y_title)),
        esc(labels.title),
    );
    let finite: Vec<&(i64, f64, f64, f64)> = points
        .iter()
        .filter(|p| p.1.is_finite() && p.2.is_finite() && p.3.is_finite())
        .collect();
    if finite.is_empty() {
        svg.push_str("</svg>");
        return svg;
    }
    let (e0, e1) = (
        finite.iter().map(|p| p.0).min().unwrap_or(0).min(0),
        finite.iter().map(|p| p.0).max().unwrap_or(1).max(0),
    );
    let ticks = span_ticks(
        finite.iter().map(|p| p.2).fold(0.0, f64::min),
        finite.iter().map(|p| p.3).fold(0.0, f64::max),
    );
    let (lo, hi) = (
        ticks.first().copied().unwrap_or(0.0),
        ticks.last().copied().unwrap_or(0.0),
    );
    let step = ticks.get(1).map(|t| t - lo).unwrap_or(1.0);
    let decimals = decimals_for(step);
    let span = (hi - lo).max(1e-9);
    let x = |e: i64| left + (e - e0) as f64 / ((e1 - e0).max(1)) as f64 * (w - left - right);
    let y = |v: f64| h - bottom - (v - lo) / span * (h - top_pad - bottom);
    // The y axis: gridlines and round ticks; zero is the line that matters.
    for t in &ticks {
        let zero = t.abs() < 1e-12;
        let _ = write!(
            svg,
            r##"<line x1="{left}" y1="{yy:.1}" x2="{r}" y2="{yy:.1}" stroke="{}"{}/><text x="{:.0}" y="{:.1}" class="axis{}" text-anchor="end">{}</text>"##,
            if zero { "#1d2433" } else { "#e4e7ec" },
            if zero {
                r#" stroke-width="1.5" class="zero""#
            } else {
                ""
            },
            left - 6.0,
            y(*t) + 4.0,
            if zero { " value" } else { "" },
            signed(*t, decimals),
            yy = y(*t),
            r = w - right,
        );
    }
    let _ = write!(
        svg,
        r##"<line x1="{left}" y1="{top_pad}" x2="{left}" y2="{b}" stroke="#999"/><text class="axis" transform="translate(14 {m:.0}) rotate(-90)" text-anchor="middle">{}</text>"##,
        esc(labels.y_title),
        b = h - bottom,
        m = top_pad + (h - top_pad - bottom) / 2.0,
    );
    let mut band = String::new();
    for (k, p) in finite.iter().enumerate() {
        let _ = write!(
            band,
            "{}{:.1},{:.1}",
            if k == 0 { "M" } else { "L" },
            x(p.0),
            y(p.3)
        );
    }
    for p in finite.iter().rev() {
        let _ = write!(band, "L{:.1},{:.1}", x(p.0), y(p.2));
    }
    let _ = write!(
        svg,
        r##"<path d="{band}Z" fill="#1f5fbf" opacity="0.15"/><line x1="{t:.1}" y1="{top_pad}" x2="{t:.1}" y2="{b}" stroke="#555" stroke-dasharray="3 3"/>"##,
        t = x(0),
        b = h - bottom
    );
    let mut line = String::new();
    for (k, p) in finite.iter().enumerate() {
        let _ = write!(
            line,
            "{}{:.1},{:.1}",
            if k == 0 { "M" } else { "L" },
            x(p.0),
            y(p.1)
        );
    }
    let _ = write!(
        svg,
        r##"<path d="{line}" fill="none" stroke="#c8102e" stroke-width="2"/>"##
    );
    for p in &finite {
        let _ = write!(
            svg,
            r##"<circle cx="{:.1}" cy="{:.1}" r="3" fill="#c8102e"><title>{}: {} [{}, {}]</title></circle>"##,
            x(p.0),
            y(p.1),
            p.0,
            signed(p.1, decimals + 1),
            signed(p.2, decimals + 1),
            signed(p.3, decimals + 1)
        );
    }
    // Weeks under the axis: the first, the training week and the last.
    let _ = write!(
        svg,
        r##"<text x="{left}" y="{by:.0}" class="axis">{e0}</text><text x="{:.1}" y="{by:.0}" class="axis" text-anchor="middle">0</text><text x="{:.0}" y="{by:.0}" class="axis" text-anchor="end">+{e1}</text><text x="{:.0}" y="{:.0}" class="axis" text-anchor="middle">{}</text>"##,
        x(0),
        w - right,
        left + (w - left - right) / 2.0,
        h - 6.0,
        esc(labels.x_title),
        by = h - bottom + 16.0,
    );
    // The legend, under the title.
    let _ = write!(
        svg,
        r##"<g class="legend"><line x1="{left}" y1="34" x2="{:.0}" y2="34" stroke="#c8102e" stroke-width="2"/><text x="{:.0}" y="38" class="axis">{}</text><rect x="{:.0}" y="28" width="24" height="12" fill="#1f5fbf" opacity="0.15"/><text x="{:.0}" y="38" class="axis">{}</text></g>"##,
        left + 24.0,
        left + 30.0,
        esc(labels.line),
        left + 200.0,
        left + 230.0,
        esc(labels.band),
    );
    svg.push_str("</svg>");
    svg
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn funnel_and_bars_scale_and_escape() {
        let f = funnel(&[("观看", 1000), ("点击", 250), ("成交<", 0)], "漏斗");
        assert!(f.contains("25.0%") && f.contains("0.0%"));
        assert!(f.contains("成交&lt;") && !f.contains("成交<"));
        assert_eq!(f.matches("<rect").count(), 3);
        let b = bars(
            &[
                ("1月".into(), 10.0, "a".into()),
                ("2月".into(), 5.0, "b".into()),
            ],
            "x",
            fanxing_core::Lang::Zh,
        );
        assert_eq!(b.matches("<rect").count(), 2);
        assert!(b.contains(r#"class="axis value" text-anchor="middle">10</text>"#));
        assert!(bars(&[], "x", fanxing_core::Lang::Zh).ends_with("</svg>"));
        let labels = EventLabels {
            title: "每周成交额",
            y_title: "与对照之差（%）",
            x_title: "距培训的周数",
            line: "每周效果",
            band: "区间",
        };
        let ev = event_study(
            &[
                (-2, -10.0, -30.0, 10.0),
                (0, 20.0, 5.0, 35.0),
                (2, f64::NAN, 0.0, 0.0),
            ],
            &labels,
        );
        assert_eq!(ev.matches("<circle").count(), 2, "NaN points are left out");
        assert!(ev.contains("+20.0"));
        assert!(event_study(&[], &labels).ends_with("</svg>"));
    }

    #[test]
    fn event_study_has_a_y_axis_a_zero_line_a_title_and_units() {
        let ev = event_study(
            &[
                (-3, -2.0, -9.0, 6.0),
                (0, 4.0, -3.0, 11.0),
                (5, 18.0, 7.0, 29.0),
            ],
            &EventLabels {
                title: "每周成交额：培训前后与对照之差",
                y_title: "与对照直播间之差（%）",
                x_title: "距培训的周数",
                line: "每周效果",
                band: "95% 区间",
            },
        );
        // Round ticks from below the lowest bound to above the highest.
        for tick in ["-10", "0", "+10", "+20", "+30"] {
            assert!(
                ev.contains(&format!(r#"text-anchor="end">{tick}</text>"#)),
                "{tick}: {ev}"
            );
        }
        // Zero is drawn dark and labelled; title, units and legend are there.
        assert!(ev.contains(r#"class="zero""#));
        assert!(ev.contains(r#"class="chart-title">每周成交额：培训前后与对照之差</text>"#));
        assert!(ev.contains(">与对照直播间之差（%）</text>"));
        assert!(ev.contains(">距培训的周数</text>"));
        assert!(ev.contains(r#"class="legend""#) && ev.contains(">95% 区间</text>"));
        let ticks = |lo, hi| -> Vec<String> {
            let t = span_ticks(lo, hi);
            let d = decimals_for(t.get(1).map(|x| x - t[0]).unwrap_or(1.0));
            t.iter().map(|v| signed(*v, d)).collect()
        };
        assert_eq!(ticks(0.013, 0.048), ["0", "+0.02", "+0.04", "+0.06"]);
        assert_eq!(ticks(-0.2, 0.0), ["-0.20", "-0.15", "-0.10", "-0.05", "0"]);
        assert_eq!(ticks(-2.0, 3.0), ["-2", "0", "+2", "+4"]);
        assert_eq!(span_ticks(0.0, 0.0), vec![0.0]);
    }

    #[test]
    fn jiangsu_has_13_cities_inside_the_box() {
        let shapes = &*JIANGSU;
        assert_eq!(shapes.len(), 13);
        assert!(shapes
            .iter()
            .any(|s| s.code == "320500" && s.name == "苏州市"));
        for s in shapes {
            assert!(
                s.path.starts_with('M') && s.path.ends_with('Z'),
                "{}",
                s.code
            );
            for part in s.path.split(['M', 'L', 'Z']).filter(|p| !p.is_empty()) {
                let (x, y) = part.split_once(',').unwrap();
                let (x, y): (f64, f64) = (x.parse().unwrap(), y.parse().unwrap());
                assert!(
                    (0.0..=MAP_W).contains(&x) && (0.0..=MAP_H).contains(&y),
                    "{x},{y}"
                );
            }
        }
        // North is up: Xuzhou (north-west) is above Suzhou (south-east).
        let y = |c: &str| shapes.iter().find(|s| s.code == c).unwrap().label.1;
        let x = |c: &str| shapes.iter().find(|s| s.code == c).unwrap().label.0;
        assert!(y("320300") < y("320500"));
        assert!(x("320300") < x("320500"));
    }

    #[test]
    fn map_links_and_titles_each_city() {
        let svg = province_map(
            &[CityValue {
                code: "320500".into(),
                share: Some(0.5),
                title: "苏州 50%".into(),
                href: "/d?region=320500".into(),
            }],
            "地图",
        );
        assert_eq!(svg.matches("<path").count(), 13);
        assert!(svg.contains(r#"href="/d?region=320500""#));
        assert!(svg.contains("<title>苏州 50%</title>"));
        // Its share is written on it and in the legend.
        assert!(svg.contains(r#"class="map-share">50%</text>"#));
        assert!(svg.contains(r#"class="axis">50%</text>"#));
    }

    #[test]
    fn thirteen_close_shares_get_six_shades() {
        let shares: Vec<Option<f64>> = (0..13).map(|i| Some(0.60 + i as f64 * 0.002)).collect();
        let steps = quantile_steps(&shares);
        let distinct: std::collections::BTreeSet<_> = steps.iter().flatten().collect();
        assert_eq!(distinct.len(), 6, "{steps:?}");
        assert_eq!(steps[0], Some(0));
        assert_eq!(steps[12], Some(5));
        // Equal shares share a shade; no target stays grey.
        assert_eq!(
            quantile_steps(&[Some(0.5), Some(0.5), None]),
            vec![Some(0), Some(0), None]
        );
    }

    #[test]
    fn ticks_are_round() {
        assert_eq!(
            nice_ticks(67_500.0),
            vec![0.0, 20_000.0, 40_000.0, 60_000.0]
        );
        assert_eq!(nice_ticks(100.0), vec![0.0, 50.0, 100.0]);
        assert_eq!(nice_ticks(0.0), vec![0.0]);
    }

    #[test]
    fn colours_follow_the_share() {
        assert_eq!(share_colour(None), "#e4e7ec");
        assert_eq!(share_colour(Some(0.0)), "#fde0dc");
        assert_eq!(share_colour(Some(1.5)), "#8e0b20");
    }

    #[test]
    fn burn_up_draws_plan_and_actuals() {
        let svg = burn_up(
            &[(100, 10), (200, 30), (5000, 90)],
            0,
            1000,
            100,
            200,
            ("实际", "计划"),
            fanxing_core::Lang::Zh,
        );
        assert!(svg.contains("stroke-dasharray=\"6 4\""));
        // The point after the programme's end is left out.
        assert!(svg.contains("<title>实际: 30</title>"), "{svg}");
        // A y axis with round ticks, and a legend.
        assert!(svg.contains(">50</text>") && svg.contains(">100</text>"));
        assert!(svg.contains("class=\"legend\""));
    }
}
