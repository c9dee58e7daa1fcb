//! Where each Walloon commune's main section lies (reference/commune-centres.csv, from
//! GeoNames): the works map puts a site there when the request has no point of its own.

use std::{collections::HashMap, sync::LazyLock};

use super::MapPoint;

static CENTRES: LazyLock<HashMap<String, MapPoint>> =
    LazyLock::new(|| parse(include_str!("../../reference/commune-centres.csv")));

fn parse(text: &str) -> HashMap<String, MapPoint> {
    let mut reader = csv::Reader::from_reader(text.as_bytes());
    reader
        .records()
        .filter_map(Result::ok)
        .filter_map(|record| {
            let latitude = record.get(2)?.parse().ok()?;
            let longitude = record.get(3)?.parse().ok()?;
            Some((
                record.get(0)?.to_owned(),
                MapPoint {
                    latitude,
                    longitude,
                },
            ))
        })
        .collect()
}

/// The centre of a commune by its NIS code, if known.
pub fn commune_centre(nis_code: &str) -> Option<MapPoint> {
    CENTRES.get(nis_code).copied()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_shipped_centres_cover_the_demo_communes_and_lie_in_wallonia() {
        assert_eq!(
            CENTRES.len(),
            240,
            "as reference/commune-centres.README.md says"
        );
        for point in CENTRES.values() {
            assert!((49.4..=50.9).contains(&point.latitude), "{point}");
            assert!((2.8..=6.5).contains(&point.longitude), "{point}");
        }
        let namur = commune_centre("92094").unwrap();
        assert!((namur.latitude - 50.4669).abs() < 0.01);
        for nis in ["53053", "52011", "58001", "57081"] {
            assert!(commune_centre(nis).is_some(), "{nis}");
        }
    }
}
