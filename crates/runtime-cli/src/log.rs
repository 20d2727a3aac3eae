//! Logging as runc does it: to stderr, or to `--log` in `text` or `json` format
//! (`{"level":"error","msg":"...","time":"..."}`), which podman and containerd read
//! back to report a failure.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use tracing::{Event, Level, Subscriber};
use tracing_subscriber::layer::{Context, SubscriberExt};
use tracing_subscriber::Layer;

struct Sink {
    file: Option<PathBuf>,
    json: bool,
}

static SINK: OnceLock<Sink> = OnceLock::new();

fn write_line(level: &str, msg: &str) {
    let Some(sink) = SINK.get() else {
        eprintln!("{level}: {msg}");
        return;
    };
    let time = runtime::state::rfc3339_now();
    let line = if sink.json {
        serde_json::json!({ "level": level, "msg": msg, "time": time }).to_string()
    } else {
        format!("time=\"{time}\" level={level} msg={msg:?}")
    };
    if let Some(path) = &sink.file {
        if let Ok(mut f) = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)
        {
            let _ = writeln!(f, "{line}");
            return;
        }
    }
    eprintln!("{line}");
}

/// Logs the error of a failed command where the caller will look for it. Errors
/// also go to stderr when a log file is set, so a person at a terminal sees them.
pub fn error(e: &anyhow::Error) {
    let msg = format!("{e:#}");
    write_line("error", &msg);
    if SINK.get().is_some_and(|s| s.file.is_some()) {
        eprintln!("berth-runtime: {msg}");
    }
}

struct RuncLayer {
    max: Level,
}

impl<S: Subscriber> Layer<S> for RuncLayer {
    fn on_event(&self, event: &Event<'_>, _ctx: Context<'_, S>) {
        if *event.metadata().level() > self.max {
            return;
        }
        let mut msg = String::new();
        event.record(&mut MessageVisitor(&mut msg));
        let level = event.metadata().level().as_str().to_ascii_lowercase();
        let level = if level == "warn" {
            "warning".to_string()
        } else {
            level
        };
        write_line(&level, &msg);
    }
}

struct MessageVisitor<'a>(&'a mut String);

impl tracing::field::Visit for MessageVisitor<'_> {
    fn record_debug(&mut self, field: &tracing::field::Field, value: &dyn std::fmt::Debug) {
        if field.name() == "message" {
            self.0.push_str(&format!("{value:?}"));
        } else {
            self.0.push_str(&format!(" {}={value:?}", field.name()));
        }
    }
    fn record_str(&mut self, field: &tracing::field::Field, value: &str) {
        if field.name() == "message" {
            self.0.push_str(value);
        } else {
            self.0.push_str(&format!(" {}={value:?}", field.name()));
        }
    }
}

pub fn init(file: Option<&Path>, format: &str, debug: bool) {
    let _ = SINK.set(Sink {
        file: file.map(Path::to_path_buf),
        json: format == "json",
    });
    let max = if debug { Level::DEBUG } else { Level::WARN };
    let subscriber = tracing_subscriber::registry().with(RuncLayer { max });
    let _ = tracing::subscriber::set_global_default(subscriber);
}
