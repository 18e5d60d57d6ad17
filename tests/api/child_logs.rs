//! A child process's output, kept: the black-box suite's hosts and the cold-start bench
//! read their processes' log lines from here.

use std::io::{BufRead, BufReader};
use std::process::Child;
use std::sync::{Arc, Mutex};

/// Collects a child's stdout and stderr lines into `logs`, for its whole life (a full pipe
/// would block it).
pub(crate) fn drain(child: &mut Child, logs: &Arc<Mutex<Vec<String>>>) {
    let streams: [Option<Box<dyn std::io::Read + Send>>; 2] =
        [child.stdout.take().map(|s| Box::new(s) as _), child.stderr.take().map(|s| Box::new(s) as _)];
    for stream in streams.into_iter().flatten() {
        let sink = logs.clone();
        std::thread::spawn(move || {
            for line in BufReader::new(stream).lines().map_while(Result::ok) {
                sink.lock().expect("logs").push(line);
            }
        });
    }
}
