//! The OpenAPI 3.1 description of the API, built from the route table ([`ACCESS`]): every
//! route with its summary, path parameters, who may call it (security), and the error envelope
//! of its failures. Served at `/api/v1/openapi.json` and committed as `docs/openapi.json` (a
//! test fails while the committed file is stale).

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
use utoipa::PartialSchema;

use crate::routes::{Access, ACCESS, SESSION_COOKIE};

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
    for (method, path, access, summary) in ACCESS {
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
                ResponseBuilder::new()
                    .description("the report of the use case (JSON)")
                    .build(),
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
        for (method, path, _, _) in crate::routes::ACCESS {
            assert!(
                doc["paths"][path][method.to_ascii_lowercase()].is_object(),
                "{method} {path}"
            );
        }
    }
}
