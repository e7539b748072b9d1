//! A real server on 127.0.0.1:0 over a fresh test database.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    dead_code,
    reason = "shared by several test files, each using part of it"
)]

use std::sync::Arc;

use soleflip_app::{App, AppConfig};
use soleflip_testkit::TestDb;

pub struct Server {
    pub base: String,
    pub app: Arc<App>,
    pub client: reqwest::Client,
    pub db: TestDb,
    _home: tempfile::TempDir,
    _task: tokio::task::JoinHandle<()>,
}

impl Server {
    /// A catalog product DD1391-100 (Nike), StockX quotes on its US M 10 (EU 44) size row, and the
    /// hand-written feed of the app's arbitrage tests.
    pub async fn seed_arbitrage(&self) {
        let mut conn = self.db.connect().await;
        sqlx::raw_sql(
            "insert into products.products (sku, name, brand_id, category_id)
             select 'DD1391-100', 'Nike Dunk Low Retro', b.id, c.id
               from core.brands b, core.categories c where b.slug = 'nike' order by c.id limit 1
             on conflict (sku) do nothing;
             insert into products.sizes (brand_id, cohort, region, value, standardized_value)
             select id, 'M', 'US', '10.0', 44.0 from core.brands where slug = 'nike'
             on conflict do nothing;
             insert into integration.price_sources
                 (product_id, size_id, source_type, source_product_id, price_type, price_cents,
                  currency, in_stock)
             select p.id, s.id, 'stockxapi', q.id, 'resale', q.cents, 'EUR', true
               from products.products p, products.sizes s,
                    (values ('v10:highest_bid', 15000), ('v10:lowest_ask', 17000)) q(id, cents)
              where p.sku = 'DD1391-100' and s.region = 'US' and s.value = '10.0';",
        )
        .execute(&mut conn)
        .await
        .unwrap();
        let feed = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../soleflip-app/tests/fixtures/awin/arbitrage_feed.csv");
        self.app
            .import_awin(&feed, Default::default(), &mut |_| {})
            .await
            .unwrap();
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// An API token for a new user of this role (password `PW`).
    pub async fn token_for(&self, name: &str, role: soleflip_app::auth::Role) -> String {
        let cli = soleflip_app::auth::Actor::cli();
        self.app.user_add(&cli, name, role, Some(PW)).await.unwrap();
        self.app
            .token_create(&cli, name, "test", None)
            .await
            .unwrap()
            .token
    }
}

/// The password of the test users.
pub const PW: &str = "correct horse battery";

pub async fn spawn() -> Server {
    spawn_on(soleflip_testkit::migrated_db().await).await
}

pub async fn spawn_with(limits: soleflip_server::Limits) -> Server {
    spawn_full(soleflip_testkit::migrated_db().await, limits).await
}

pub async fn spawn_on(db: TestDb) -> Server {
    spawn_full(db, soleflip_server::Limits::default()).await
}

async fn spawn_full(db: TestDb, limits: soleflip_server::Limits) -> Server {
    let home = tempfile::tempdir().unwrap();
    let app = Arc::new(App::new(AppConfig {
        home: home.path().to_path_buf(),
        database: Some(db.target.clone()),
    }));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let router = soleflip_server::router(app.clone(), limits);
    let task = tokio::spawn(async move {
        soleflip_server::serve(listener, router, std::future::pending())
            .await
            .unwrap();
    });
    Server {
        base,
        app,
        client: reqwest::Client::new(),
        db,
        _home: home,
        _task: task,
    }
}
