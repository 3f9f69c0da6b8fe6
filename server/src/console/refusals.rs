//! A refused console form comes back to its page with the reason in the address
//! (`?problem=invalid&field=…&message=…`), so that what was typed is kept without JavaScript and
//! without state on the server. Text in an address can be written by anyone, though: a crafted
//! link would show made-up words in the console's red box. So the reason is sealed: on its way
//! out of a console POST, a redirect that carries a `message` gets `seal`, an HMAC-SHA256 of the
//! message keyed by the person's session token (secret, HttpOnly, shared by every replica); on
//! the way in, a page address whose message is not sealed for the caller's session is sent on
//! without the refusal (the typed values stay, the red box does not show).

use app::model::identity::SESSION_COOKIE;
use axum::extract::Request;
use axum::http::{header, HeaderValue, Method};
use axum::middleware::Next;
use axum::response::Response;
use hmac::{Hmac, Mac};
use sha2::Sha256;

use super::cluster::back_with;
use super::session::{cookie, see_other};

/// The parameters of a refusal, dropped together when its seal does not hold.
const REFUSAL: &[&str] = &["problem", "field", "message", "seal"];

pub async fn sealed_refusals(request: Request, next: Next) -> Response {
    let session = cookie(request.headers(), SESSION_COOKIE);
    if request.method() == Method::GET {
        let path = request.uri().path().to_string();
        let pairs: Vec<(String, String)> = request
            .uri()
            .query()
            .map(|query| {
                url::form_urlencoded::parse(query.as_bytes())
                    .into_owned()
                    .collect()
            })
            .unwrap_or_default();
        let value = |name: &str| pairs.iter().find(|(key, _)| key == name).map(|(_, v)| v);
        if let Some(message) = value("message") {
            let holds = session
                .as_deref()
                .zip(value("seal"))
                .is_some_and(|(token, seal)| seal_holds(token, message, seal));
            if !holds {
                let kept: Vec<(&str, &str)> = pairs
                    .iter()
                    .filter(|(key, _)| !REFUSAL.contains(&key.as_str()))
                    .map(|(key, value)| (key.as_str(), value.as_str()))
                    .collect();
                return see_other(&back_with(&path, &kept));
            }
        }
        return next.run(request).await;
    }
    let mut response = next.run(request).await;
    let Some(token) = session else {
        return response;
    };
    let location = response
        .headers()
        .get(header::LOCATION)
        .and_then(|value| value.to_str().ok())
        .map(str::to_string);
    if let Some(location) = location.filter(|_| response.status().is_redirection()) {
        if let Some(sealed) = seal_location(&location, &token) {
            if let Ok(value) = HeaderValue::from_str(&sealed) {
                response.headers_mut().insert(header::LOCATION, value);
            }
        }
    }
    response
}

/// The location with `seal` added when it carries a `message`; `None` when it carries none.
fn seal_location(location: &str, token: &str) -> Option<String> {
    let (path, query) = location.split_once('?')?;
    let mut pairs: Vec<(String, String)> = url::form_urlencoded::parse(query.as_bytes())
        .into_owned()
        .collect();
    pairs.retain(|(key, _)| key != "seal");
    let at = pairs.iter().position(|(key, _)| key == "message")?;
    let seal = seal_of(token, &pairs[at].1);
    // Beside its message: the rest of the address keeps its order.
    pairs.insert(at + 1, ("seal".into(), seal));
    let pairs: Vec<(&str, &str)> = pairs
        .iter()
        .map(|(key, value)| (key.as_str(), value.as_str()))
        .collect();
    Some(back_with(path, &pairs))
}

/// HMAC-SHA256 (RFC 2104) of the message keyed by the session token, its first 16 bytes in hex.
fn seal_of(key: &str, message: &str) -> String {
    hex::encode(&mac_of(key, message).finalize().into_bytes()[..16])
}

/// Whether `seal` is the message's seal for this session, compared in constant time (a timing
/// difference must not tell a forger how many leading bytes were right).
fn seal_holds(key: &str, message: &str, seal: &str) -> bool {
    hex::decode(seal).is_ok_and(|bytes| {
        bytes.len() == 16 && mac_of(key, message).verify_truncated_left(&bytes).is_ok()
    })
}

fn mac_of(key: &str, message: &str) -> Hmac<Sha256> {
    // HMAC takes keys of any length: `new_from_slice` cannot fail for it.
    let mut mac = Hmac::<Sha256>::new_from_slice(key.as_bytes()).expect("HMAC accepts any key");
    mac.update(message.as_bytes());
    mac
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_seal_is_hmac_sha256() {
        // RFC 4231, test case 2.
        assert_eq!(
            seal_of("Jefe", "what do ya want for nothing?"),
            "5bdcc146bf60754e6a042426089575c7"
        );
    }

    #[test]
    fn a_seal_holds_only_for_its_message_and_session() {
        let seal = seal_of("token-1", "too long");
        assert!(seal_holds("token-1", "too long", &seal));
        assert!(!seal_holds("token-2", "too long", &seal));
        assert!(!seal_holds("token-1", "too short", &seal));
        assert!(!seal_holds("token-1", "too long", &seal[..30]));
        assert!(!seal_holds("token-1", "too long", "not hex at all"));
    }

    #[test]
    fn a_refusal_is_sealed_for_one_session() {
        let sealed = seal_location(
            "/clusters/new?name=a%20b&message=too+long&pool=p1",
            "token-1",
        )
        .expect("a message to seal");
        assert!(sealed.starts_with("/clusters/new?name=a+b&message=too+long&seal="));
        assert!(sealed.ends_with("&pool=p1"), "{sealed}");
        let other = seal_location("/clusters/new?message=too+long", "token-2").expect("sealed");
        let seal_in = |location: &str| {
            let (_, rest) = location.split_once("seal=").expect("a seal");
            rest.split('&').next().unwrap_or_default().to_string()
        };
        assert_eq!(seal_in(&sealed), seal_of("token-1", "too long"));
        assert_ne!(
            seal_in(&sealed),
            seal_in(&other),
            "another session, another seal"
        );
        assert_eq!(seal_location("/clusters?notice=deleting", "token-1"), None);
    }
}
