//! The client a request comes from, as the throttles count it: the connection's peer, or —
//! only when that peer is a configured reverse proxy — the address the proxies recorded in
//! `X-Forwarded-For`.

use std::{
    convert::Infallible,
    net::{IpAddr, Ipv4Addr, SocketAddr},
};

use axum::{
    extract::{ConnectInfo, FromRequestParts},
    http::{HeaderMap, request::Parts},
};

use crate::state::AppState;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClientAddr(pub IpAddr);

impl FromRequestParts<AppState> for ClientAddr {
    type Rejection = Infallible;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        // Served without the peer's address (a router driven directly), every caller shares
        // one count: limited too much rather than not at all.
        let peer = parts
            .extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map(|info| info.0.ip())
            .unwrap_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED));
        Ok(ClientAddr(client_of(
            peer,
            &parts.headers,
            &state.config.limits.trusted_proxies,
        )))
    }
}

/// The client behind `peer`: walking `X-Forwarded-For` from the right (the entries the
/// trusted proxies appended), the first address that is not a trusted proxy. Anything to its
/// left was written by the client itself and proves nothing.
pub fn client_of(peer: IpAddr, headers: &HeaderMap, trusted: &[IpAddr]) -> IpAddr {
    if !trusted.contains(&peer) {
        return peer;
    }
    let mut client = peer;
    let hops = headers
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(','))
        .collect::<Vec<_>>();
    for hop in hops.into_iter().rev() {
        match hop.trim().parse::<IpAddr>() {
            Ok(address) => {
                client = address;
                if !trusted.contains(&address) {
                    break;
                }
            }
            // An unreadable entry: the last address known is the best there is.
            Err(_) => break,
        }
    }
    client
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(text: &str) -> IpAddr {
        text.parse().unwrap()
    }

    fn forwarded(values: &[&str]) -> HeaderMap {
        let mut headers = HeaderMap::new();
        for value in values {
            headers.append("x-forwarded-for", value.parse().unwrap());
        }
        headers
    }

    #[test]
    fn the_peer_is_the_client_unless_it_is_a_trusted_proxy() {
        let headers = forwarded(&["203.0.113.9"]);
        // Not trusted (the default): the header is ignored, whatever it says.
        assert_eq!(
            client_of(ip("198.51.100.4"), &headers, &[]),
            ip("198.51.100.4")
        );
        let proxy = ip("10.0.0.2");
        assert_eq!(client_of(proxy, &headers, &[proxy]), ip("203.0.113.9"));
        // A trusted proxy without the header: the proxy itself.
        assert_eq!(client_of(proxy, &HeaderMap::new(), &[proxy]), proxy);
    }

    #[test]
    fn addresses_the_client_wrote_itself_are_not_believed() {
        let proxies = [ip("10.0.0.2"), ip("10.0.0.3")];
        // The client sent "1.2.3.4" itself; the outer proxy appended the real peer, then the
        // inner proxy appended the outer one.
        let headers = forwarded(&["1.2.3.4, 203.0.113.9", "10.0.0.3"]);
        assert_eq!(client_of(proxies[0], &headers, &proxies), ip("203.0.113.9"));
        let garbled = forwarded(&["1.2.3.4, not-an-address"]);
        assert_eq!(client_of(proxies[0], &garbled, &proxies), proxies[0]);
    }
}
