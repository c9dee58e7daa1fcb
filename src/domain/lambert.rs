//! Points of a site for the works map. Parcel plans come in Belgian Lambert 72 (EPSG:31370,
//! V-9.1.1); web maps use WGS 84 (EPSG:4326). The conversion is proj4rs (a port of PROJ) with
//! the EPSG:31370 definition and the 7-parameter datum shift "BD72 to WGS 84 (3)" (EPSG:15929),
//! the transformation PROJ itself picks, accurate to about 1 m.

use std::sync::LazyLock;

use proj4rs::proj::Proj;

use super::{InputError, MapPoint};

const LAMBERT_72: &str = "+proj=lcc +lat_0=90 +lon_0=4.36748666666667 +lat_1=51.1666672333333 \
    +lat_2=49.8333339 +x_0=150000.013 +y_0=5400088.438 +ellps=intl \
    +towgs84=-106.8686,52.2978,-103.7239,0.3366,-0.457,1.8422,-1.2747 +units=m +no_defs +type=crs";
const WGS_84: &str = "+proj=longlat +ellps=WGS84 +datum=WGS84 +no_defs +type=crs";

static PROJECTIONS: LazyLock<Option<(Proj, Proj)>> = LazyLock::new(|| {
    Some((
        Proj::from_proj_string(LAMBERT_72).ok()?,
        Proj::from_proj_string(WGS_84).ok()?,
    ))
});

/// Lambert 72 easting/northing (metres) to a WGS 84 point; `None` outside Belgium.
pub fn lambert72_to_wgs84(x: f64, y: f64) -> Option<MapPoint> {
    let (from, to) = PROJECTIONS.as_ref()?;
    let mut point = (x, y, 0.0);
    proj4rs::transform::transform(from, to, &mut point).ok()?;
    let (longitude, latitude) = (point.0.to_degrees(), point.1.to_degrees());
    if !latitude.is_finite() || !longitude.is_finite() {
        return None;
    }
    // Same box as a typed WGS 84 point.
    MapPoint::parse(&format!("{latitude}, {longitude}")).ok()
}

/// A site point as typed: WGS 84 "50.4542, 3.9567" or Lambert 72 "185000, 128000" (metres,
/// from a parcel plan), told apart by magnitude. Always stored as WGS 84.
pub fn parse_site_point(raw: &str) -> Result<MapPoint, InputError> {
    let (a, b) = raw
        .split_once(',')
        .or_else(|| raw.trim().split_once(' '))
        .ok_or(InputError::MapPoint)?;
    let a: f64 = a.trim().parse().map_err(|_| InputError::MapPoint)?;
    let b: f64 = b.trim().parse().map_err(|_| InputError::MapPoint)?;
    if a.abs() > 1000.0 && b.abs() > 1000.0 {
        // Belgian Lambert 72 covers Belgium with 0 < x, y < 300 km.
        if !(0.0..=300_000.0).contains(&a) || !(0.0..=300_000.0).contains(&b) {
            return Err(InputError::MapPoint);
        }
        return lambert72_to_wgs84(a, b).ok_or(InputError::MapPoint);
    }
    MapPoint::parse(raw)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Metres between two nearby WGS 84 points (equirectangular: exact enough under 1 km).
    fn metres(a: MapPoint, b: (f64, f64)) -> f64 {
        let lat = a.latitude.to_radians();
        let dy = (a.latitude - b.0).to_radians() * 6_371_000.0;
        let dx = (a.longitude - b.1).to_radians() * 6_371_000.0 * lat.cos();
        dx.hypot(dy)
    }

    #[test]
    fn a_lambert_72_point_in_namur_matches_proj_within_one_metre() {
        // Reference: PROJ 9.5.1 (pyproj 3.7.2), EPSG:31370 → EPSG:4326 with its default
        // "Inverse of Belgian Lambert 72 + BD72 to WGS 84 (3)": 50.461786840 N, 4.861690885 E.
        let point = lambert72_to_wgs84(185_000.0, 128_000.0).unwrap();
        let off = metres(point, (50.461_786_840, 4.861_690_885));
        assert!(off < 1.0, "{off} m off: {point}");
    }

    #[test]
    fn site_points_are_read_in_either_system() {
        let wgs = parse_site_point("50.4542, 3.9567").unwrap();
        assert!((wgs.latitude - 50.4542).abs() < 1e-9);
        let lambert = parse_site_point("185000, 128000").unwrap();
        assert!((lambert.latitude - 50.4618).abs() < 1e-3);
        assert!((lambert.longitude - 4.8617).abs() < 1e-3);
        assert_eq!(
            parse_site_point("950000, 128000"),
            Err(InputError::MapPoint)
        );
        assert_eq!(parse_site_point("here"), Err(InputError::MapPoint));
    }
}
