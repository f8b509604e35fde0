//! The scaling chart: throughput and parallel efficiency against threads (or ranks).

use plotters::prelude::*;

use super::report::BenchReport;

/// An SVG chart of throughput (left axis) and efficiency (right axis) against the
/// thread or rank count of each result. `unit` labels the x axis (`"threads"`, `"ranks"`).
///
/// # Examples
///
/// ```
/// use dpa::bench::*;
/// let runner = BenchmarkRunner { warmup: 0, iterations: 1 };
/// let p = |t| BenchParameters { threads: t, samples: 1000, strategy: None, extra: Default::default() };
/// let mut report = BenchReport::new(vec![
///     runner.result_from_times("t1", p(1), &[1.0]),
///     runner.result_from_times("t2", p(2), &[0.55]),
/// ]);
/// report.compute_efficiency();
/// let svg = scaling_chart_svg(&report, "threads").unwrap();
/// assert!(svg.starts_with("<svg"));
/// ```
pub fn scaling_chart_svg(report: &BenchReport, unit: &str) -> Result<String, String> {
    let mut points: Vec<(f64, f64, f64)> = report
        .results
        .iter()
        .map(|r| {
            (
                r.parameters.workers() as f64,
                r.throughput_samples_per_second,
                r.efficiency.unwrap_or(1.0),
            )
        })
        .collect();
    points.sort_by(|a, b| a.0.total_cmp(&b.0));
    if points.is_empty() {
        return Err("no results to plot".into());
    }
    let max_x = points.iter().map(|p| p.0).fold(1.0, f64::max);
    let max_y = points.iter().map(|p| p.1).fold(1.0, f64::max) * 1.15;
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (800, 500)).into_drawing_area();
        root.fill(&WHITE).map_err(|e| e.to_string())?;
        let mut chart = ChartBuilder::on(&root)
            .caption(
                format!("dpa scaling: throughput and efficiency against {unit}"),
                ("sans-serif", 20),
            )
            .margin(15)
            .x_label_area_size(40)
            .y_label_area_size(80)
            .right_y_label_area_size(60)
            .build_cartesian_2d(0.5..max_x + 0.5, 0.0..max_y)
            .map_err(|e| e.to_string())?
            .set_secondary_coord(0.5..max_x + 0.5, 0.0..1.2);
        chart
            .configure_mesh()
            .x_desc(unit)
            .y_desc("samples/s")
            .y_label_formatter(&|v| format!("{:.2}M", v / 1e6))
            .draw()
            .map_err(|e| e.to_string())?;
        chart
            .configure_secondary_axes()
            .y_desc("parallel efficiency")
            .draw()
            .map_err(|e| e.to_string())?;
        chart
            .draw_series(LineSeries::new(
                points.iter().map(|p| (p.0, p.1)),
                BLUE.stroke_width(2),
            ))
            .map_err(|e| e.to_string())?
            .label("throughput (samples/s)")
            .legend(|(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], BLUE));
        chart
            .draw_series(
                points
                    .iter()
                    .map(|p| Circle::new((p.0, p.1), 4, BLUE.filled())),
            )
            .map_err(|e| e.to_string())?;
        chart
            .draw_secondary_series(LineSeries::new(
                points.iter().map(|p| (p.0, p.2)),
                RED.stroke_width(2),
            ))
            .map_err(|e| e.to_string())?
            .label("efficiency T1 / (p Tp)")
            .legend(|(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], RED));
        chart
            .configure_series_labels()
            .border_style(BLACK)
            .background_style(WHITE.mix(0.8))
            .draw()
            .map_err(|e| e.to_string())?;
        root.present().map_err(|e| e.to_string())?;
    }
    Ok(svg)
}
