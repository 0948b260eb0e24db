//! Percentiles of measured durations.

use std::time::Duration;

pub struct Summary {
    label: String,
    pub p50: Duration,
    p90: Duration,
    pub p99: Duration,
    mean: Duration,
}

impl Summary {
    pub fn of(label: &str, samples: &mut [Duration]) -> Summary {
        samples.sort();
        let at = |p: usize| {
            samples
                .get((samples.len() * p / 100).min(samples.len().saturating_sub(1)))
                .copied()
                .unwrap_or_default()
        };
        let total: Duration = samples.iter().sum();
        let mean = if samples.is_empty() {
            Duration::ZERO
        } else {
            total / samples.len() as u32
        };
        Summary {
            label: label.to_owned(),
            p50: at(50),
            p90: at(90),
            p99: at(99),
            mean,
        }
    }

    pub fn header() -> String {
        format!(
            "{:<40} {:>9} {:>9} {:>9} {:>9}",
            "", "median", "p90", "p99", "mean"
        )
    }

    pub fn row(&self) -> String {
        let ms = |d: Duration| format!("{:.2}ms", d.as_secs_f64() * 1000.0);
        format!(
            "{:<40} {:>9} {:>9} {:>9} {:>9}",
            self.label,
            ms(self.p50),
            ms(self.p90),
            ms(self.p99),
            ms(self.mean)
        )
    }
}
