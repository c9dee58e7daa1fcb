use clap::{Parser, Subcommand};
use connect_my_home::{
    app::{Application, build_state},
    clock::Clock,
    config::Config,
    demo,
    services::reference,
};
use tracing_subscriber::EnvFilter;

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[derive(Parser)]
#[command(name = "connect-my-home", version, about)]
struct Cli {
    #[command(flatten)]
    config: Config,
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Run the web application and its mail worker (the default).
    Serve,
    /// Apply the database migrations and exit.
    Migrate,
    /// Seed the organisations and the demo data, then exit.
    SeedDemo,
    /// Recompute the read models of the large pages (queue counts, nuisance figures) from the
    /// stored data, then exit: after data was loaded by other means than the product.
    RebuildSummaries,
    /// Print the consolidated estimate (JSON) of a case described in a JSON file.
    Quote { case: std::path::PathBuf },
    /// Plan a backlog of joint-day requests (format: bench/scheduling/FORMAT.md), print its score.
    Schedule {
        #[arg(long)]
        instance: std::path::PathBuf,
        #[arg(long)]
        out: std::path::PathBuf,
        #[arg(long, default_value_t = 1)]
        seed: u64,
        #[arg(long, default_value_t = 2)]
        threads: usize,
    },
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(
            EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| EnvFilter::new("info,sqlx=warn,tower_http=info")),
        )
        .init();
    let cli = Cli::parse();
    match cli.command.unwrap_or(Command::Serve) {
        Command::Serve => {
            let app = Application::build(cli.config.clone()).await?;
            let url = app.state().base_url.clone();
            println!("\nConnect my home is running at {url}/");
            println!(
                "  database: {}",
                connect_my_home::db::redact_url(&cli.config.database_url())
            );
            println!(
                "  mail:     {} (read it at {url}/admin/outbox)",
                app.state().mailer.describe()
            );
            if cli.config.seed_demo {
                println!(
                    "  demo staff accounts (password \"{}\"):",
                    demo::DEMO_PASSWORD
                );
                for (_, email, name, role) in demo::DEMO_USERS {
                    println!("    {email:<32} {name} ({role})");
                }
            }
            println!();
            app.run_until_stopped().await?;
        }
        Command::Migrate => {
            build_state(cli.config.clone(), cli.config.bind, Clock::system()).await?;
            println!("migrations applied");
        }
        Command::SeedDemo => {
            let state = build_state(cli.config.clone(), cli.config.bind, Clock::system()).await?;
            let seeding = state.db.lock_seeding().await?;
            reference::reference_data(&state).await?;
            demo::seed_all(&state).await?;
            seeding.release().await?;
            println!("demo data seeded");
        }
        Command::RebuildSummaries => {
            let state = build_state(cli.config.clone(), cli.config.bind, Clock::system()).await?;
            connect_my_home::services::summaries::rebuild(&state.db).await?;
            println!("summaries rebuilt");
        }
        Command::Quote { case } => {
            let text = std::fs::read_to_string(&case)
                .map_err(|e| anyhow::anyhow!("{}: {e}", case.display()))?;
            let tariffs = connect_my_home::tariff::Tariffs::load_embedded()?;
            println!(
                "{}",
                connect_my_home::tariff::estimate_json(&tariffs, &text)?
            );
        }
        Command::Schedule {
            instance,
            out,
            seed,
            threads,
        } => {
            use connect_my_home::scheduling::backlog;
            let instance: backlog::Instance = serde_json::from_slice(&std::fs::read(&instance)?)?;
            let options = backlog::Options {
                seed,
                threads,
                ..Default::default()
            };
            let plan = backlog::optimise(&instance, &options)?;
            std::fs::write(&out, serde_json::to_vec(&plan)?)?;
            println!(
                "{}",
                serde_json::to_string(&backlog::evaluate(&instance, &plan)?)?
            );
        }
    }
    Ok(())
}
