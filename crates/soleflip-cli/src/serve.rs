//! `soleflip serve`: migrates the database, then serves the HTTP API and the web page
//! until SIGTERM or Ctrl-C.

use std::net::SocketAddr;
use std::sync::Arc;

use anyhow::Context;
use soleflip_app::App;

use crate::output::print;
use crate::Outcome;

/// The server's pool when SOLEFLIP_POOL_SIZE does not say otherwise (bench/api.sh measures
/// the effect of the size on `GET /api/v1/inventory`).
const SERVER_POOL_SIZE: u32 = 4;

/// The pool size of the server: SOLEFLIP_POOL_SIZE (1 to 256), else [`SERVER_POOL_SIZE`].
fn pool_size() -> anyhow::Result<u32> {
    match std::env::var("SOLEFLIP_POOL_SIZE") {
        Err(_) => Ok(SERVER_POOL_SIZE),
        Ok(text) => text
            .trim()
            .parse::<u32>()
            .ok()
            .filter(|n| (1..=256).contains(n))
            .with_context(|| format!("SOLEFLIP_POOL_SIZE: {text:?} is not a number from 1 to 256")),
    }
}

pub async fn run(bind: SocketAddr, app: &App) -> anyhow::Result<Outcome> {
    let up = app.db_up(None).await.context("preparing the database")?;
    // The server gets an application handle of its own (its own pool), on the same data.
    let server_app = Arc::new(App::new(app.config().clone()).with_pool_size(pool_size()?));
    soleflip_app::auth::warm_up();
    let listener = tokio::net::TcpListener::bind(bind)
        .await
        .with_context(|| format!("binding {bind}"))?;
    let local = listener.local_addr().context("reading the bound address")?;
    // After binding: the link names the port actually bound (`--bind 127.0.0.1:0`).
    if let Some(token) = server_app.admin_setup_token().await? {
        print(&format!(
            "no usable admin yet, and there is no default password. Within 30 minutes, create \
             the first admin with this one-time setup token (shown once): open\n  \
             http://{local}/setup?token={token}\n  in a browser, or: curl -X POST \
             http://{local}/api/v1/setup -H 'content-type: application/json' --data-binary @-\n  \
             and type {{\"token\":\"{token}\",\"username\":\"NAME\",\"password\":\"...\"}} \
             then Ctrl-D (the password goes through stdin, never a command line)\n"
        ));
    }
    print(&format!(
        "database at migration {}; serving http://{local} (the web page: open it in a browser; \
         Ctrl-C or SIGTERM stops)\n",
        up.migrate.version
    ));
    let router = soleflip_server::router(server_app, soleflip_server::Limits::default());
    soleflip_server::serve(listener, router, soleflip_server::shutdown_signal())
        .await
        .context("serving")?;
    print("stopped\n");
    Ok(Outcome::Ok)
}
