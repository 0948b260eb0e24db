//! Authentication: every route but health, the web page and its assets
//! needs an API key, sent as `x-api-key: KEY`, `Authorization: Token KEY` or
//! `Authorization: Bearer KEY`. The key is found by its prefix and compared
//! by hash in constant time; its user and role become the request's
//! [`Caller`]. Each dialect supplies its own 401 body.

use axum::extract::{Request, State};
use axum::http::HeaderMap;
use axum::middleware::Next;
use axum::response::Response;
use runbox_domain::{Execution, UserName};
use subtle::ConstantTimeEq;

use crate::{keys, AppState};

/// Who is calling.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Caller {
    pub user: UserName,
    pub admin: bool,
}

impl Caller {
    /// Executions, their output and results are visible to the user who
    /// started them and to admins only.
    pub fn can_see(&self, execution: &Execution) -> bool {
        self.admin || execution.user == self.user
    }

    /// Buttons, agents and scenarios may be changed by their creator or an admin.
    pub fn can_change(&self, owner: &UserName) -> bool {
        self.admin || *owner == self.user
    }
}

/// The key a request carries, from any of the three accepted headers.
pub fn presented_key(headers: &HeaderMap) -> Option<&str> {
    if let Some(key) = headers.get("x-api-key").and_then(|v| v.to_str().ok()) {
        let key = key.trim();
        if !key.is_empty() {
            return Some(key);
        }
    }
    let auth = headers
        .get(axum::http::header::AUTHORIZATION)?
        .to_str()
        .ok()?
        .trim();
    let (scheme, key) = auth.split_once(' ')?;
    let key = key.trim();
    (scheme.eq_ignore_ascii_case("token") || scheme.eq_ignore_ascii_case("bearer"))
        .then_some(key)
        .filter(|k| !k.is_empty())
}

/// Resolves a presented key to its caller. Store failures count as "no".
pub async fn verify(state: &AppState, key: &str) -> Option<Caller> {
    let prefix = keys::prefix(key)?;
    let record = match state.store.key_by_prefix(prefix).await {
        Ok(record) => record?,
        Err(err) => {
            tracing::error!(error = %err, "key lookup failed");
            return None;
        }
    };
    let presented = keys::hash(key);
    if bool::from(presented.ct_eq(&record.hash)) {
        Some(Caller {
            user: record.user,
            admin: record.admin,
        })
    } else {
        None
    }
}

/// The caller a request's key names, for routes that need a key only for
/// some requests (a hook's URL takes requests without one).
pub async fn caller(state: &AppState, headers: &HeaderMap) -> Option<Caller> {
    verify(state, presented_key(headers)?).await
}

/// A dialect's reply to a request without a valid key (it may localize
/// the message from the request headers).
pub type Unauthorized = fn(&HeaderMap) -> Response;

/// Middleware: rejects requests without a valid key using the dialect's
/// 401 body; otherwise stores the [`Caller`] in the request extensions.
pub async fn require_key(
    State((state, unauthorized)): State<(AppState, Unauthorized)>,
    mut request: Request,
    next: Next,
) -> Response {
    let caller = match presented_key(request.headers()) {
        Some(key) => verify(&state, key).await,
        None => None,
    };
    match caller {
        Some(caller) => {
            request.extensions_mut().insert(caller);
            next.run(request).await
        }
        None => unauthorized(request.headers()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.insert(*name, value.parse().expect("header"));
        }
        map
    }

    #[test]
    fn accepts_the_three_header_forms() {
        assert_eq!(presented_key(&headers(&[("x-api-key", "k1")])), Some("k1"));
        assert_eq!(
            presented_key(&headers(&[("authorization", "Token k2")])),
            Some("k2")
        );
        assert_eq!(
            presented_key(&headers(&[("authorization", "Bearer k3")])),
            Some("k3")
        );
        assert_eq!(
            presented_key(&headers(&[("authorization", "bearer k4")])),
            Some("k4")
        );
    }

    #[test]
    fn rejects_other_schemes_and_empty_keys() {
        assert_eq!(
            presented_key(&headers(&[("authorization", "Basic abc")])),
            None
        );
        assert_eq!(
            presented_key(&headers(&[("authorization", "Bearer ")])),
            None
        );
        assert_eq!(presented_key(&headers(&[("x-api-key", " ")])), None);
        assert_eq!(presented_key(&HeaderMap::new()), None);
    }
}
