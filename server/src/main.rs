//! `server` runs the console; `server doctor` checks the database and every enabled upstream.

use server::config::Settings;
use server::{doctor, telemetry, Application};

/// mimalloc instead of glibc's allocator: a page render makes many small, short-lived
/// allocations on every worker thread (see `bench/throughput.sh`).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() -> std::process::ExitCode {
    let settings = match Settings::load() {
        Ok(s) => s,
        Err(e) => {
            eprintln!("{e}\nSee .env.example for every variable, its default and meaning.");
            return std::process::ExitCode::from(2);
        }
    };
    match std::env::args().nth(1).as_deref() {
        Some("doctor") => doctor::run(&settings).await,
        None | Some("serve") => {
            telemetry::init(settings.log_format);
            match Application::build(settings).await {
                Ok(app) => {
                    app.print_welcome();
                    if let Err(e) = app.run_until_stopped().await {
                        tracing::error!(error = %e, "server stopped with an error");
                        return std::process::ExitCode::FAILURE;
                    }
                    std::process::ExitCode::SUCCESS
                }
                Err(e) => {
                    eprintln!("the console could not start: {e:#}");
                    std::process::ExitCode::FAILURE
                }
            }
        }
        Some(other) => {
            eprintln!("unknown command {other:?}; use `server` (run) or `server doctor`");
            std::process::ExitCode::from(2)
        }
    }
}
