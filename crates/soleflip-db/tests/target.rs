//! Connection targets: every form of password is redacted and kept for the child programs,
//! malformed escapes are refused, a database name stays a name, and every session pins its
//! search_path (against the testkit's real server).

use soleflip_db::DbTarget;
use soleflip_testkit::{empty_db, server};

const SECRET: &str = "Sup3r-s3cret";

#[test]
fn a_password_in_a_query_parameter_is_redacted_and_kept_for_the_child_programs() {
    let t = DbTarget::from_url(&format!(
        "postgresql://shop@db.example:6543/soleflip?sslmode=require&password={SECRET}"
    ))
    .unwrap();
    assert_eq!(
        t.describe(),
        "postgresql://shop@db.example:6543/soleflip?sslmode=require&password=***"
    );
    assert_eq!(t.password(), Some(SECRET));
    let other = t.with_database("postgres");
    assert!(!other.describe().contains(SECRET), "{}", other.describe());
    assert!(!format!("{other:?}").is_empty());
}

#[test]
fn a_keyword_value_string_is_parsed_and_its_password_redacted() {
    let t = DbTarget::from_url(&format!(
        "host=db.example port=6543 dbname='my db' user=shop password='{SECRET} x'"
    ))
    .unwrap();
    assert_eq!(t.database(), "my db");
    assert_eq!(t.endpoint(), "db.example:6543");
    assert_eq!(t.password(), Some(format!("{SECRET} x").as_str()));
    assert_eq!(
        t.describe(),
        "host=db.example port=6543 dbname='my db' user=shop password=***"
    );
    let other = t.with_database("postgres");
    assert!(
        other.describe().ends_with("dbname=postgres"),
        "{}",
        other.describe()
    );
    // An error names the string without the password.
    let err = DbTarget::from_url(&format!("host=h password={SECRET} port=notanumber"))
        .unwrap_err()
        .to_string();
    assert!(!err.contains(SECRET) && err.contains("port"), "{err}");
    let err = DbTarget::from_url(&format!("host=h password='{SECRET}"))
        .unwrap_err()
        .to_string();
    assert!(!err.contains(SECRET), "{err}");
}

#[test]
fn errors_about_a_url_never_show_its_query_password() {
    let err = DbTarget::from_url(&format!(
        "postgresql://u@h/d?password={SECRET}&sslmode=bogus"
    ))
    .unwrap_err()
    .to_string();
    assert!(err.starts_with("invalid database URL"), "{err}");
    assert!(!err.contains(SECRET), "{err}");
}

#[test]
fn a_percent_sign_not_followed_by_two_hex_digits_is_refused() {
    for url in [
        "postgresql://u:ab%+1cd@h/d",
        "postgresql://u:ab%4@h/d",
        "postgresql://u:pw@h/d?password=x%zz",
    ] {
        let err = DbTarget::from_url(url).unwrap_err().to_string();
        assert!(err.contains("percent escape"), "{url}: {err}");
        assert!(!err.contains("ab%") && !err.contains("x%zz"), "{err}");
    }
    let ok = DbTarget::from_url("postgresql://u:a%2Bb%25@h/d").unwrap();
    assert_eq!(ok.password(), Some("a+b%"));
}

#[test]
fn a_database_name_is_never_read_as_a_connection_string() {
    let t = DbTarget::from_url("postgresql://u:pw@h:5/a").unwrap();
    let odd = t.with_database("host=evil.example port=1 dbname=victim");
    assert_eq!(odd.database(), "host=evil.example port=1 dbname=victim");
    assert_eq!(odd.endpoint(), "h:5");
    let env = odd.libpq_env();
    let host = env.iter().find(|(k, _)| *k == "PGHOST").unwrap();
    assert_eq!(host.1, "h");
    assert!(!odd.describe().contains("pw"), "{}", odd.describe());
}

#[tokio::test]
async fn every_session_and_child_pins_its_search_path() {
    let db = empty_db().await;
    let mut conn = db.connect().await;
    let path: String = sqlx::query_scalar("show search_path")
        .fetch_one(&mut conn)
        .await
        .unwrap();
    assert_eq!(path, "pg_catalog,pg_temp");
    // A pool built from the target's options gets it too.
    let pool = sqlx::postgres::PgPoolOptions::new()
        .max_connections(1)
        .connect_with(db.target.connect_options())
        .await
        .unwrap();
    let path: String = sqlx::query_scalar("show search_path")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(path, "pg_catalog,pg_temp");
    pool.close().await;
    let env = server().target("postgres").libpq_env();
    assert!(
        env.contains(&("PGOPTIONS", "-c search_path=pg_catalog,pg_temp".to_string())),
        "{env:?}"
    );
}
