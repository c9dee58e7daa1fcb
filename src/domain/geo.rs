use std::{collections::HashMap, fmt};

use serde::Serialize;

use super::InputError;

/// A 4-digit Belgian postcode.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub struct Postcode(u16);

impl Postcode {
    pub fn parse(raw: &str) -> Result<Self, InputError> {
        let value = raw.trim();
        if value.is_empty() {
            return Err(InputError::Required);
        }
        if value.len() != 4 || !value.bytes().all(|b| b.is_ascii_digit()) {
            return Err(InputError::PostcodeFormat);
        }
        let number: u16 = value.parse().map_err(|_| InputError::PostcodeFormat)?;
        if number < 1000 {
            return Err(InputError::PostcodeFormat);
        }
        Ok(Self(number))
    }

    pub fn value(self) -> u16 {
        self.0
    }
}

impl fmt::Display for Postcode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}", self.0)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Region {
    Wallonia,
    Flanders,
    Brussels,
}

impl Region {
    fn from_statbel_name(name: &str) -> Option<Self> {
        match name {
            "Région wallonne" => Some(Self::Wallonia),
            "Région flamande" => Some(Self::Flanders),
            "Région de Bruxelles-Capitale" => Some(Self::Brussels),
            _ => None,
        }
    }

    pub fn code(self) -> &'static str {
        match self {
            Self::Wallonia => "wallonia",
            Self::Flanders => "flanders",
            Self::Brussels => "brussels",
        }
    }
}

/// A municipality, identified by its NIS (REFNIS) code.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Commune {
    pub nis_code: String,
    pub name: String,
    pub province: Option<String>,
    pub region: Region,
}

/// Postcodes → communes, from Statbel's conversion table (see reference/be-postcodes.README.md).
#[derive(Debug, Clone, Default)]
pub struct PostcodeDirectory {
    by_postcode: HashMap<Postcode, Vec<Commune>>,
}

#[derive(Debug, thiserror::Error)]
pub enum DirectoryError {
    #[error("postcode table line {line}: {reason}")]
    Line { line: usize, reason: String },
    #[error("postcode table: {0}")]
    Csv(#[from] csv::Error),
}

impl PostcodeDirectory {
    /// Parses the CSV shipped in `reference/be-postcodes.csv`
    /// (`postcode,locality,municipality,nis_code,province,region`).
    pub fn from_csv(text: &str) -> Result<Self, DirectoryError> {
        let mut reader = csv::Reader::from_reader(text.as_bytes());
        let mut by_postcode: HashMap<Postcode, Vec<Commune>> = HashMap::new();
        for (index, record) in reader.records().enumerate() {
            let record = record?;
            let line = index + 2;
            let bad = |reason: &str| DirectoryError::Line {
                line,
                reason: reason.to_owned(),
            };
            let postcode = Postcode::parse(&record[0]).map_err(|_| bad("bad postcode"))?;
            let region = Region::from_statbel_name(&record[5]).ok_or_else(|| bad("bad region"))?;
            let province = Some(record[4].trim().to_owned()).filter(|p| !p.is_empty());
            by_postcode.entry(postcode).or_default().push(Commune {
                nis_code: record[3].trim().to_owned(),
                name: record[2].trim().to_owned(),
                province,
                region,
            });
        }
        Ok(Self { by_postcode })
    }

    /// The communes a postcode belongs to (several only for a few Brussels and Flemish codes).
    pub fn communes(&self, postcode: Postcode) -> &[Commune] {
        self.by_postcode
            .get(&postcode)
            .map(Vec::as_slice)
            .unwrap_or(&[])
    }

    /// Every commune once, sorted by name.
    pub fn all_communes(&self) -> Vec<&Commune> {
        let mut seen = HashMap::new();
        for commune in self.by_postcode.values().flatten() {
            seen.entry(commune.nis_code.as_str()).or_insert(commune);
        }
        let mut communes: Vec<&Commune> = seen.into_values().collect();
        communes.sort_by(|a, b| a.name.cmp(&b.name));
        communes
    }

    pub fn commune_by_nis(&self, nis_code: &str) -> Option<&Commune> {
        self.by_postcode
            .values()
            .flatten()
            .find(|c| c.nis_code == nis_code)
    }

    /// Postcodes of one commune, ascending.
    pub fn postcodes_of(&self, nis_code: &str) -> Vec<Postcode> {
        let mut codes: Vec<Postcode> = self
            .by_postcode
            .iter()
            .filter(|(_, communes)| communes.iter().any(|c| c.nis_code == nis_code))
            .map(|(postcode, _)| *postcode)
            .collect();
        codes.sort();
        codes
    }
}

/// A point on the map (WGS 84) for a site without an address yet.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct MapPoint {
    pub latitude: f64,
    pub longitude: f64,
}

impl MapPoint {
    /// Parses "50.4542, 3.9567"; the point must fall in Belgium's bounding box.
    pub fn parse(raw: &str) -> Result<Self, InputError> {
        let (lat, lon) = raw
            .split_once(',')
            .or_else(|| raw.trim().split_once(' '))
            .ok_or(InputError::MapPoint)?;
        let latitude: f64 = lat.trim().parse().map_err(|_| InputError::MapPoint)?;
        let longitude: f64 = lon.trim().parse().map_err(|_| InputError::MapPoint)?;
        if !(49.49..=51.51).contains(&latitude) || !(2.54..=6.41).contains(&longitude) {
            return Err(InputError::MapPoint);
        }
        Ok(Self {
            latitude,
            longitude,
        })
    }
}

impl fmt::Display for MapPoint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:.6}, {:.6}", self.latitude, self.longitude)
    }
}

/// A site in one line, as every page writes it: street and number, postcode and commune,
/// parcel, map point (whichever the request gave).
pub fn site_line(
    street: Option<&str>,
    house_number: Option<&str>,
    postcode: &str,
    commune_name: &str,
    parcel_ref: Option<&str>,
    map_point: Option<&str>,
) -> String {
    let mut parts = Vec::new();
    if let (Some(street), Some(number)) = (street, house_number) {
        parts.push(format!("{street} {number}"));
    }
    parts.push(format!("{postcode} {commune_name}"));
    parts.extend(parcel_ref.map(str::to_owned));
    parts.extend(map_point.map(str::to_owned));
    parts.join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    const SAMPLE: &str = "postcode,locality,municipality,nis_code,province,region\n\
        7000,,Mons,53053,Hainaut,Région wallonne\n\
        1040,,Bruxelles,21004,,Région de Bruxelles-Capitale\n\
        1040,,Etterbeek,21005,,Région de Bruxelles-Capitale\n";

    #[test]
    fn postcode_format() {
        assert_eq!(Postcode::parse(" 7000 ").unwrap().to_string(), "7000");
        assert_eq!(Postcode::parse("700"), Err(InputError::PostcodeFormat));
        assert_eq!(Postcode::parse("0999"), Err(InputError::PostcodeFormat));
        assert_eq!(Postcode::parse("70a0"), Err(InputError::PostcodeFormat));
        assert_eq!(Postcode::parse(""), Err(InputError::Required));
    }

    #[test]
    fn directory_maps_postcodes_to_communes() {
        let directory = PostcodeDirectory::from_csv(SAMPLE).unwrap();
        let mons = directory.communes(Postcode::parse("7000").unwrap());
        assert_eq!(mons.len(), 1);
        assert_eq!(mons[0].name, "Mons");
        assert_eq!(mons[0].province.as_deref(), Some("Hainaut"));
        assert_eq!(
            directory.communes(Postcode::parse("1040").unwrap()).len(),
            2
        );
        assert!(
            directory
                .communes(Postcode::parse("9999").unwrap())
                .is_empty()
        );
    }

    #[test]
    fn shipped_table_parses_and_matches_its_readme() {
        let directory =
            PostcodeDirectory::from_csv(include_str!("../../reference/be-postcodes.csv")).unwrap();
        let walloon = directory
            .all_communes()
            .into_iter()
            .filter(|c| c.region == Region::Wallonia)
            .count();
        assert_eq!(walloon, 261);
        assert_eq!(directory.all_communes().len(), 565);
    }

    #[test]
    fn map_point_must_be_in_belgium() {
        assert!(MapPoint::parse("50.4542, 3.9567").is_ok());
        assert_eq!(MapPoint::parse("48.85, 2.35"), Err(InputError::MapPoint));
        assert_eq!(MapPoint::parse("north"), Err(InputError::MapPoint));
    }
}
