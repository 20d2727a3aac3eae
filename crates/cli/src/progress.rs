//! Docker-style pull progress on a terminal: one line per layer that redraws in place,
//! `<id>: Downloading [=====>      ]  12.3MB/50.1MB`, then `Download complete` and
//! `Pull complete`. Off a terminal, commands print plain lines instead.

use std::collections::HashMap;
use std::sync::Mutex;

use image::ProgressEvent;
use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};

pub struct PullBars {
    multi: MultiProgress,
    bars: Mutex<HashMap<String, ProgressBar>>,
    /// Layers in the order they were announced.
    order: Mutex<Vec<String>>,
}

fn text_style() -> ProgressStyle {
    ProgressStyle::with_template("{prefix}: {msg}").unwrap_or_else(|_| ProgressStyle::default_bar())
}

fn bar_style() -> ProgressStyle {
    ProgressStyle::with_template("{prefix}: {msg} [{bar:50}] {bytes:>9}/{total_bytes}")
        .map(|s| s.progress_chars("=> "))
        .unwrap_or_else(|_| ProgressStyle::default_bar())
}

impl PullBars {
    pub fn new() -> PullBars {
        PullBars {
            multi: MultiProgress::with_draw_target(ProgressDrawTarget::stdout()),
            bars: Mutex::new(HashMap::new()),
            order: Mutex::new(Vec::new()),
        }
    }

    fn bar(&self, id: &str) -> ProgressBar {
        let Ok(mut bars) = self.bars.lock() else {
            return ProgressBar::hidden();
        };
        bars.entry(id.to_string())
            .or_insert_with(|| {
                if let Ok(mut o) = self.order.lock() {
                    o.push(id.to_string());
                }
                let b = self.multi.add(ProgressBar::new(0));
                b.set_style(text_style());
                b.set_prefix(id.to_string());
                b
            })
            .clone()
    }

    pub fn event(&self, e: ProgressEvent) {
        match e {
            ProgressEvent::Waiting { id } => self.bar(&id).set_message("Pulling fs layer"),
            ProgressEvent::AlreadyExists { id, .. } => {
                self.bar(&id).finish_with_message("Already exists")
            }
            ProgressEvent::Downloading { id, current, total } => {
                let b = self.bar(&id);
                if b.length() != Some(total) {
                    b.set_style(bar_style());
                    b.set_length(total);
                }
                b.set_message("Downloading");
                b.set_position(current);
            }
            ProgressEvent::Retrying { id, attempt, .. } => self
                .bar(&id)
                .set_message(format!("Retrying (attempt {attempt})")),
            ProgressEvent::DownloadComplete { id, .. } => {
                let b = self.bar(&id);
                b.set_style(text_style());
                b.set_message("Download complete");
            }
            _ => {}
        }
    }

    /// Marks every layer done once the image is unpacked and recorded.
    pub fn finish(&self) {
        let order = self.order.lock().map(|o| o.clone()).unwrap_or_default();
        for id in order {
            let b = self.bar(&id);
            if !b.is_finished() {
                b.set_style(text_style());
                b.finish_with_message("Pull complete");
            }
        }
    }
}
