//! The OpenAPI 3.1 description of the API, built from the route table ([`ACCESS`]): every
//! route with its summary, path parameters, who may call it (security), and the error envelope
//! of its failures. Served at `/api/v1/openapi.json` and committed as `docs/openapi.json` (a
//! test fails while the committed file is stale).

use std::collections::BTreeMap;
use utoipa::openapi::content::ContentBuilder;
use utoipa::openapi::path::{
    HttpMethod, OperationBuilder, ParameterBuilder, ParameterIn, PathItem,
};
use utoipa::openapi::response::ResponseBuilder;
use utoipa::openapi::schema::{ComponentsBuilder, ObjectBuilder, Type};
use utoipa::openapi::security::{
    ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityRequirement, SecurityScheme,
};
use utoipa::openapi::{InfoBuilder, OpenApi, OpenApiBuilder, PathsBuilder, Ref, Required};

use utoipa::openapi::path::Parameter;
use utoipa::openapi::request_body::RequestBodyBuilder;
use utoipa::openapi::schema::Schema;
use utoipa::openapi::RefOr;
use utoipa::{IntoParams, PartialSchema, ToSchema};

use crate::routes::{self as r, Access, ACCESS, SESSION_COOKIE};

/// The schemas the document refers to, collected as the routes name them.
#[derive(Default)]
struct Schemas(BTreeMap<String, RefOr<Schema>>);

impl Schemas {
    /// A reference to `T`'s schema, which (with every schema it refers to) joins the components.
    fn of<T: ToSchema>(&mut self) -> Option<RefOr<Schema>> {
        let mut nested = Vec::new();
        T::schemas(&mut nested);
        self.0.extend(nested);
        let name = T::name().into_owned();
        self.0.insert(name.clone(), T::schema());
        Some(RefOr::Ref(Ref::from_schema_name(name)))
    }
}

/// The typed request body, answer and query parameters of a route.
struct Typed {
    request: Option<RefOr<Schema>>,
    response: Option<RefOr<Schema>>,
    query: Vec<Parameter>,
}

fn query<T: IntoParams>() -> Vec<Parameter> {
    T::into_params(|| Some(ParameterIn::Query))
}

/// The types of each route's body, answer and query; a route not named here is described by
/// its summary only.
fn typed(method: &str, path: &str, s: &mut Schemas) -> Typed {
    use soleflip_app::{auth as a, ledger as l, prices::prune as p};
    let t = |request, response, query| Typed {
        request,
        response,
        query,
    };
    match (method, path) {
        ("POST", "/api/v1/auth/login") => {
            t(s.of::<r::LoginBody>(), s.of::<a::LoginReport>(), vec![])
        }
        ("POST", "/api/v1/setup") => t(s.of::<r::SetupBody>(), s.of::<a::UserRow>(), vec![]),
        ("GET", "/api/v1/auth/me") => t(None, s.of::<a::Principal>(), vec![]),
        ("GET", "/api/v1/sizes/parse") => t(None, None, query::<r::SizeQuery>()),
        ("GET", "/api/v1/prices/latest") => t(None, None, query::<r::PriceQuery>()),
        ("GET", "/api/v1/inventory") => t(
            None,
            s.of::<l::InventoryList>(),
            query::<r::InventoryQuery>(),
        ),
        ("GET", "/api/v1/inventory/{id}") => t(None, s.of::<l::PairReport>(), vec![]),
        ("GET", "/api/v1/reports/pnl") => t(None, s.of::<l::PnlReport>(), query::<r::PnlQuery>()),
        ("GET", "/api/v1/reports/stock") => t(None, s.of::<l::StockReport>(), vec![]),
        ("GET", "/api/v1/fees/quote") => t(None, None, query::<r::FeeQuery>()),
        ("POST", "/api/v1/purchases") => t(
            s.of::<r::PurchaseBody>(),
            s.of::<l::PurchaseReport>(),
            vec![],
        ),
        ("POST", "/api/v1/inventory/{id}/move") => {
            t(s.of::<r::MoveBody>(), s.of::<l::MoveReport>(), vec![])
        }
        ("POST", "/api/v1/listings") => {
            t(s.of::<r::ListingBody>(), s.of::<l::ListingReport>(), vec![])
        }
        ("POST", "/api/v1/listings/{id}/end") => t(None, s.of::<l::ListingReport>(), vec![]),
        ("POST", "/api/v1/sales") => t(s.of::<r::SaleBody>(), s.of::<l::SaleReport>(), vec![]),
        ("GET", "/api/v1/users") => t(None, s.of::<a::UserPage>(), query::<r::PageQuery>()),
        ("POST", "/api/v1/users") => t(s.of::<r::UserBody>(), s.of::<a::UserRow>(), vec![]),
        ("POST", "/api/v1/users/{name}/disable") => t(None, s.of::<a::UserDisabled>(), vec![]),
        ("POST", "/api/v1/users/{name}/password") => t(
            s.of::<r::PasswordBody>(),
            s.of::<r::PasswordChanged>(),
            vec![],
        ),
        ("GET", "/api/v1/tokens") => t(None, s.of::<a::TokenPage>(), query::<r::TokenQuery>()),
        ("POST", "/api/v1/tokens") => t(s.of::<r::TokenBody>(), s.of::<a::TokenCreated>(), vec![]),
        ("POST", "/api/v1/tokens/{id}/revoke") => t(None, s.of::<a::TokenRow>(), vec![]),
        ("GET", "/api/v1/audit") => t(None, s.of::<r::AuditPage>(), query::<r::AuditQuery>()),
        ("POST", "/api/v1/backups") => t(s.of::<r::BackupBody>(), None, vec![]),
        ("POST", "/api/v1/sizes/normalize") => t(s.of::<r::NormalizeBody>(), None, vec![]),
        ("GET", "/api/v1/matches") => t(None, None, query::<crate::matches::MatchQuery>()),
        ("POST", "/api/v1/matches/{id}/accept") => {
            t(s.of::<crate::matches::AcceptBody>(), None, vec![])
        }
        ("GET", "/api/v1/arbitrage") => t(None, None, query::<crate::matches::ArbitrageQuery>()),
        ("POST", "/api/v1/arbitrage/new") => {
            t(s.of::<crate::matches::ArbitrageQuery>(), None, vec![])
        }
        ("POST", "/api/v1/stockx/sync/{kind}") => t(
            s.of::<crate::imports::StockxSyncBody>(),
            s.of::<crate::imports::JobState>(),
            vec![],
        ),
        ("POST", "/api/v1/prices/prune") => {
            t(s.of::<r::PruneBody>(), s.of::<p::PruneReport>(), vec![])
        }
        _ => t(None, None, vec![]),
    }
}

fn error_response(description: &str) -> utoipa::openapi::Response {
    ResponseBuilder::new()
        .description(description)
        .content(
            "application/json",
            ContentBuilder::new()
                .schema(Some(Ref::from_schema_name("Envelope")))
                .build(),
        )
        .build()
}

/// The whole document.
pub fn document() -> OpenApi {
    let mut paths = PathsBuilder::new();
    let mut schemas = Schemas::default();
    // The web page's routes share the table but are not part of the API.
    for (method, path, access, summary) in ACCESS.iter().filter(|r| r.1.starts_with("/api/")) {
        let types = typed(method, path, &mut schemas);
        let mut answer = ResponseBuilder::new().description("the report of the use case (JSON)");
        if let Some(schema) = types.response {
            answer = answer.content(
                "application/json",
                ContentBuilder::new().schema(Some(schema)).build(),
            );
        }
        let tag = path
            .trim_start_matches("/api/v1/")
            .split('/')
            .next()
            .unwrap_or("api")
            .trim_end_matches(".json");
        let mut op = OperationBuilder::new()
            .summary(Some(*summary))
            .operation_id(Some(format!(
                "{}_{}",
                method.to_ascii_lowercase(),
                path.trim_start_matches("/api/v1/")
                    .replace(['/', '.'], "_")
                    .replace(['{', '}'], "")
            )))
            .tag(tag)
            .response(
                if *method == "POST"
                    && (path.ends_with("/users")
                        || path.ends_with("/tokens")
                        || path.ends_with("/backups")
                        || path.ends_with("/setup"))
                {
                    "201"
                } else if path.ends_with("/logout") {
                    "204"
                } else {
                    "200"
                },
                answer.build(),
            )
            .response(
                "400",
                error_response("invalid_input: a field is malformed (named in the message)"),
            )
            .response("404", error_response("not_found"))
            .response(
                "413",
                error_response("too_large: the body is larger than the limit"),
            )
            .response(
                "500",
                error_response("unexpected: logged on the server, nothing internal shown"),
            );
        if let Some(schema) = types.request {
            op = op.request_body(Some(
                RequestBodyBuilder::new()
                    .content(
                        "application/json",
                        ContentBuilder::new().schema(Some(schema)).build(),
                    )
                    .required(Some(Required::True))
                    .build(),
            ));
        }
        for parameter in types.query {
            op = op.parameter(parameter);
        }
        for name in ["id", "name"] {
            if path.contains(&format!("{{{name}}}")) {
                op = op.parameter(
                    ParameterBuilder::new()
                        .name(name)
                        .parameter_in(ParameterIn::Path)
                        .required(Required::True)
                        .schema(Some(ObjectBuilder::new().schema_type(Type::String))),
                );
            }
        }
        match access {
            Access::Public => {
                if path.ends_with("/login") {
                    op = op.response(
                        "401",
                        error_response("unauthenticated: wrong user name or password"),
                    );
                    op = op.response(
                        "429",
                        error_response("rate_limited: too many failures; see Retry-After"),
                    );
                }
            }
            Access::AtLeast(role) => {
                op = op
                    .description(Some(format!(
                        "Role: {} or above. Cookie sessions must send this server's Origin on mutations.",
                        role.as_str()
                    )))
                    .security(SecurityRequirement::new("bearer", Vec::<String>::new()))
                    .security(SecurityRequirement::new("session", Vec::<String>::new()))
                    .response("401", error_response("unauthenticated: no valid session or token"))
                    .response("403", error_response("forbidden: the role does not allow this, or a cross-site cookie mutation"));
            }
        }
        let method = if *method == "POST" {
            HttpMethod::Post
        } else {
            HttpMethod::Get
        };
        paths = paths.path(*path, PathItem::new(method, op));
    }
    let components = ComponentsBuilder::new()
        .schemas_from_iter(schemas.0)
        .schema("Envelope", crate::error::Envelope::schema())
        .schema("ErrorBody", crate::error::ErrorBody::schema())
        .security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        )
        .security_scheme(
            "session",
            SecurityScheme::ApiKey(ApiKey::Cookie(ApiKeyValue::new(SESSION_COOKIE))),
        )
        .build();
    OpenApiBuilder::new()
        .info(
            InfoBuilder::new()
                .title("SoleFlip API")
                .version(env!("CARGO_PKG_VERSION"))
                .description(Some(
                    "The HTTP API of SoleFlip. Errors: {\"error\":{\"code\":…,\"message\":…}} \
                     with the application layer's stable code words.",
                )),
        )
        .paths(paths.build())
        .components(Some(components))
        .build()
}

#[cfg(test)]
mod tests {

    /// `SOLEFLIP_WRITE_OPENAPI=1 cargo test -p soleflip-server openapi` rewrites the file.
    #[test]
    fn the_committed_openapi_document_is_current() {
        let text = super::document().to_pretty_json().expect("serializing") + "\n";
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../docs/openapi.json");
        if std::env::var_os("SOLEFLIP_WRITE_OPENAPI").is_some() {
            std::fs::write(path, &text).expect("writing docs/openapi.json");
        }
        let committed = std::fs::read_to_string(path).unwrap_or_default();
        assert!(
            committed == text,
            "docs/openapi.json is stale: SOLEFLIP_WRITE_OPENAPI=1 cargo test -p soleflip-server openapi"
        );
    }

    #[test]
    fn the_document_is_openapi_3_1_and_lists_every_declared_route() {
        let doc = serde_json::to_value(super::document()).expect("serializing");
        assert_eq!(doc["openapi"], "3.1.0");
        for (method, path, _, _) in crate::routes::ACCESS
            .iter()
            .filter(|r| r.1.starts_with("/api/"))
        {
            assert!(
                doc["paths"][path][method.to_ascii_lowercase()].is_object(),
                "{method} {path}"
            );
        }
    }

    /// Every `$ref` anywhere in `value`.
    fn refs(value: &serde_json::Value, out: &mut Vec<String>) {
        match value {
            serde_json::Value::Object(map) => {
                for (k, v) in map {
                    match (k.as_str(), v.as_str()) {
                        ("$ref", Some(r)) => out.push(r.to_string()),
                        _ => refs(v, out),
                    }
                }
            }
            serde_json::Value::Array(items) => items.iter().for_each(|v| refs(v, out)),
            _ => {}
        }
    }

    #[test]
    fn the_ledger_and_auth_routes_name_their_answer_types_and_every_reference_resolves() {
        let doc = serde_json::to_value(super::document()).expect("serializing");
        let answer = |method: &str, path: &str| {
            let op = &doc["paths"][path][method];
            let code = ["200", "201"]
                .into_iter()
                .find(|c| op["responses"][c].is_object())
                .unwrap_or("200");
            op["responses"][code]["content"]["application/json"]["schema"]["$ref"].clone()
        };

        let mut all = Vec::new();
        refs(&doc, &mut all);

        for (method, path, want) in [
            ("post", "/api/v1/auth/login", "LoginReport"),
            ("get", "/api/v1/auth/me", "Principal"),
            ("get", "/api/v1/inventory", "InventoryList"),
            ("get", "/api/v1/inventory/{id}", "PairReport"),
            ("post", "/api/v1/purchases", "PurchaseReport"),
            ("post", "/api/v1/sales", "SaleReport"),
            ("get", "/api/v1/reports/pnl", "PnlReport"),
            ("get", "/api/v1/users", "UserPage"),
            ("post", "/api/v1/tokens", "TokenCreated"),
            ("get", "/api/v1/audit", "AuditPage"),
        ] {
            assert_eq!(
                answer(method, path),
                format!("#/components/schemas/{want}"),
                "{method} {path}"
            );
        }
        for r in &all {
            let name = r.trim_start_matches("#/components/schemas/");
            assert!(
                doc["components"]["schemas"][name].is_object(),
                "{r} does not resolve"
            );
        }
        let pair = &doc["components"]["schemas"]["PairRow"]["properties"];
        assert!(
            pair["id"].is_object() && pair["entered"].is_null(),
            "{pair}"
        );
        let purchase = &doc["paths"]["/api/v1/purchases"]["post"]["requestBody"];
        assert!(purchase["content"]["application/json"]["schema"]["$ref"]
            .as_str()
            .is_some_and(|r| r.ends_with("/PurchaseBody")));
    }
}
