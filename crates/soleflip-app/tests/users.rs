//! Users and passwords through the application layer, on real PostgreSQL.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "test helpers stop the test loudly on a failed step"
)]

use soleflip_app::users::UserError;
use soleflip_app::{code_of, App, Code};
use soleflip_testkit::migrated_db;

#[tokio::test]
async fn the_admin_logs_in_with_the_password_just_set_and_with_no_other() {
    let db = migrated_db().await;
    let app = App::on_server(db.target.clone());
    assert!(
        !app.check_password("admin", "").await.unwrap(),
        "the seeded admin's locked marker admits nobody"
    );
    app.set_password("admin", "correct horse battery")
        .await
        .unwrap();
    assert!(app
        .check_password("admin", "correct horse battery")
        .await
        .unwrap());
    assert!(!app
        .check_password("admin", "correct horse batterY")
        .await
        .unwrap());
    assert!(!app
        .check_password("nobody", "correct horse battery")
        .await
        .unwrap());
}

#[tokio::test]
async fn a_short_password_or_an_unknown_user_is_refused_with_its_code() {
    let db = migrated_db().await;
    let app = App::on_server(db.target.clone());
    let short = app.set_password("admin", "short pass").await.unwrap_err();
    assert!(matches!(short, UserError::PasswordTooShort));
    assert_eq!(code_of(&short), Code::InvalidInput);
    let unknown = app
        .set_password("nobody", "long enough password")
        .await
        .unwrap_err();
    assert_eq!(code_of(&unknown), Code::NotFound);
    assert_eq!(unknown.to_string(), "no user named nobody");
}
