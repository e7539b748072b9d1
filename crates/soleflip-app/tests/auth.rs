//! Users, sessions, API tokens, setup and audit through the application layer, on real
//! PostgreSQL.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "test helpers stop the test loudly on a failed step"
)]

use soleflip_app::auth::{Actor, AuthError, Role, MAX_FAILURES_PER_USER};
use soleflip_app::{App, AppConfig, Code, Coded};
use soleflip_testkit::migrated_db;

async fn app() -> (App, soleflip_testkit::TestDb, tempfile::TempDir) {
    let db = migrated_db().await;
    let home = tempfile::tempdir().unwrap();
    let app = App::new(AppConfig {
        home: home.path().to_path_buf(),
        database: Some(db.target.clone()),
    });
    (app, db, home)
}

const PW: &str = "correct horse battery";

#[tokio::test]
async fn an_unknown_user_and_a_wrong_password_get_the_same_answer() {
    let (app, _db, _home) = app().await;
    app.user_add(&Actor::cli(), "ana", Role::User, Some(PW))
        .await
        .unwrap();
    let unknown = app.login("nobody", PW, "10.0.0.1").await.unwrap_err();
    let wrong = app
        .login("ana", "wrong horse battery", "10.0.0.1")
        .await
        .unwrap_err();
    assert_eq!(unknown.to_string(), wrong.to_string());
    assert_eq!(unknown.code(), Code::Unauthenticated);
    let ok = app.login("ana", PW, "10.0.0.1").await.unwrap();
    assert_eq!(ok.role, Role::User);
    assert_eq!(
        app.session_principal(&ok.token).await.unwrap().username,
        "ana"
    );
}

#[tokio::test]
async fn disabling_a_user_and_changing_a_password_revoke_every_session() {
    let (app, _db, _home) = app().await;
    app.user_add(&Actor::cli(), "ben", Role::Readonly, Some(PW))
        .await
        .unwrap();
    let first = app.login("ben", PW, "10.0.0.2").await.unwrap();
    app.user_set_password(&Actor::cli(), "ben", "another long password")
        .await
        .unwrap();
    assert!(app.session_principal(&first.token).await.is_err());
    let second = app
        .login("ben", "another long password", "10.0.0.2")
        .await
        .unwrap();
    let done = app.user_disable(&Actor::cli(), "ben").await.unwrap();
    assert_eq!(done.sessions_revoked, 1);
    assert!(app.session_principal(&second.token).await.is_err());
    assert!(matches!(
        app.login("ben", "another long password", "10.0.0.2").await,
        Err(AuthError::BadCredentials)
    ));
}

#[tokio::test]
async fn failures_beyond_the_limit_are_refused_with_a_retry_time_even_with_the_right_password() {
    let (app, _db, _home) = app().await;
    app.user_add(&Actor::cli(), "cem", Role::User, Some(PW))
        .await
        .unwrap();
    for _ in 0..MAX_FAILURES_PER_USER {
        assert!(matches!(
            app.login("cem", "wrong horse battery", "10.0.0.3").await,
            Err(AuthError::BadCredentials)
        ));
    }
    match app.login("cem", PW, "10.0.0.4").await {
        Err(AuthError::RateLimited { retry_after_secs }) => assert!(retry_after_secs > 0),
        other => panic!("expected a rate limit, got {other:?}"),
    }
}

#[tokio::test]
async fn a_revoked_api_token_stops_working_and_its_secret_is_not_listed() {
    let (app, _db, _home) = app().await;
    app.user_add(&Actor::cli(), "dora", Role::User, None)
        .await
        .unwrap();
    let made = app
        .token_create(&Actor::cli(), "dora", "script", Some(30))
        .await
        .unwrap();
    assert!(made.token.starts_with("sfp_"));
    assert_eq!(
        app.token_principal(&made.token).await.unwrap().username,
        "dora"
    );
    let listed = serde_json::to_string(&app.token_list(Some("dora")).await.unwrap()).unwrap();
    assert!(!listed.contains(&made.token));
    app.token_revoke(&Actor::cli(), made.row.id).await.unwrap();
    assert!(app.token_principal(&made.token).await.is_err());
}

#[tokio::test]
async fn the_setup_token_creates_the_first_admin_once_and_is_not_offered_again() {
    let (app, _db, _home) = app().await;
    let token = app
        .admin_setup_token()
        .await
        .unwrap()
        .expect("no admin yet");
    app.admin_setup("127.0.0.1", &token, "root", PW)
        .await
        .unwrap();
    assert!(matches!(
        app.admin_setup("127.0.0.1", &token, "root2", PW).await,
        Err(AuthError::BadSetupToken)
    ));
    assert!(app.admin_setup_token().await.unwrap().is_none());
    assert_eq!(
        app.login("root", PW, "127.0.0.1").await.unwrap().role,
        Role::Admin
    );
}

#[tokio::test]
async fn every_mutation_is_audited_without_its_secrets() {
    let (app, _db, _home) = app().await;
    app.user_add(&Actor::cli(), "eve", Role::User, Some(PW))
        .await
        .unwrap();
    let made = app
        .token_create(&Actor::cli(), "eve", "ci", None)
        .await
        .unwrap();
    let _ = app.login("eve", "wrong horse battery", "10.0.0.9").await;
    let log = app.audit_list(None, 50).await.unwrap();
    let actions: Vec<(&str, &str)> = log
        .iter()
        .map(|r| (r.action.as_str(), r.outcome.as_str()))
        .collect();
    assert_eq!(
        actions,
        [
            ("auth.login", "refused"),
            ("token.create", "ok"),
            ("user.add", "ok")
        ]
    );
    let text = serde_json::to_string(&log).unwrap();
    assert!(!text.contains(&made.token) && !text.contains(PW));
}

#[tokio::test]
async fn a_session_idle_past_its_timeout_or_past_its_expiry_is_refused() {
    let (app, db, _home) = app().await;
    app.user_add(&Actor::cli(), "ida", Role::User, Some(PW))
        .await
        .unwrap();
    let idle = app.login("ida", PW, "10.0.0.5").await.unwrap();
    let expired = app.login("ida", PW, "10.0.0.5").await.unwrap();
    let fresh = app.login("ida", PW, "10.0.0.5").await.unwrap();
    let mut conn = db.connect().await;
    let hash = soleflip_app::auth::secret_hash;
    sqlx::query("update auth.sessions set last_seen_at = now() - interval '31 minutes' where token_hash = $1")
        .bind(hash(&idle.token))
        .execute(&mut conn)
        .await
        .unwrap();
    sqlx::query(
        "update auth.sessions set expires_at = now() - interval '1 second' where token_hash = $1",
    )
    .bind(hash(&expired.token))
    .execute(&mut conn)
    .await
    .unwrap();
    assert!(app.session_principal(&idle.token).await.is_err());
    assert!(app.session_principal(&expired.token).await.is_err());
    assert!(app.session_principal(&fresh.token).await.is_ok());
}

#[tokio::test]
async fn a_session_is_marked_seen_at_most_once_a_minute() {
    let (app, db, _home) = app().await;
    app.user_add(&Actor::cli(), "sam", Role::User, Some(PW))
        .await
        .unwrap();
    let s = app.login("sam", PW, "10.0.0.6").await.unwrap();
    let mut conn = db.connect().await;
    let hash = soleflip_app::auth::secret_hash(&s.token);
    let set_seen =
        "update auth.sessions set last_seen_at = now() - $2::interval where token_hash = $1";
    let since_seen = "select extract(epoch from now() - last_seen_at)::float8 from auth.sessions \
                      where token_hash = $1";

    sqlx::query(set_seen)
        .bind(&hash)
        .bind("30 seconds")
        .execute(&mut conn)
        .await
        .unwrap();
    app.session_principal(&s.token).await.unwrap();
    let after_recent: f64 = sqlx::query_scalar(since_seen)
        .bind(&hash)
        .fetch_one(&mut conn)
        .await
        .unwrap();
    sqlx::query(set_seen)
        .bind(&hash)
        .bind("2 minutes")
        .execute(&mut conn)
        .await
        .unwrap();
    app.session_principal(&s.token).await.unwrap();
    let after_old: f64 = sqlx::query_scalar(since_seen)
        .bind(&hash)
        .fetch_one(&mut conn)
        .await
        .unwrap();

    assert!((29.0..40.0).contains(&after_recent), "{after_recent}");
    assert!(after_old < 5.0, "{after_old}");
}

#[tokio::test]
async fn failures_from_one_address_over_many_names_are_limited_per_address() {
    let (app, _db, _home) = app().await;
    app.user_add(&Actor::cli(), "fay", Role::User, Some(PW))
        .await
        .unwrap();
    for i in 0..soleflip_app::auth::MAX_FAILURES_PER_CLIENT {
        let _ = app.login(&format!("guess{i}"), PW, "10.9.9.9").await;
    }
    assert!(matches!(
        app.login("fay", PW, "10.9.9.9").await,
        Err(AuthError::RateLimited { .. })
    ));
    assert!(
        app.login("fay", PW, "10.0.0.6").await.is_ok(),
        "another address is not limited"
    );
}

#[tokio::test]
async fn the_audit_log_refuses_changes_and_deletions() {
    let (app, db, _home) = app().await;
    app.user_add(&Actor::cli(), "gus", Role::Readonly, None)
        .await
        .unwrap();
    let mut conn = db.connect().await;
    let update = sqlx::query("update auth.audit_log set outcome = 'failed'")
        .execute(&mut conn)
        .await;
    let delete = sqlx::query("delete from auth.audit_log")
        .execute(&mut conn)
        .await;
    assert!(update.unwrap_err().to_string().contains("append-only"));
    assert!(delete.unwrap_err().to_string().contains("append-only"));
}
