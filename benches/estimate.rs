//! A full consolidated estimate: servicing with a cabin, electricity, gas, water with an
//! extension and quote-parts, Proximus and VOO. Target: ≤ 20 µs median.

use std::hint::black_box;

use connect_my_home::tariff::{EstimateCase, Tariffs, estimate};
use criterion::{Criterion, criterion_group, criterion_main};

const CASE: &str = r#"{
  "request_date": "2026-11-23",
  "postcode": "7000",
  "applicant_vat": "private",
  "building": "house",
  "electricity": { "band": "3x25" },
  "gas": { "extra_metres": 4 },
  "water": {
    "distance_to_main_m": 62,
    "inside_parcel_m": 1.5,
    "pressure_installation": true,
    "earlier_holders": [
      { "holder": "A. Dupont", "parcel": "B 112c", "section_cost": "12000.00", "months_since_payment": 14 },
      { "holder": "B. Lambert", "parcel": "B 112d", "section_cost": "8000.00", "months_since_payment": 5 }
    ]
  },
  "proximus": true,
  "voo": true,
  "servicing": {
    "operation": "division",
    "frontage_m": 86,
    "parcels": 4,
    "candelabras": 3,
    "cabin": { "existing_points_outside": 30 },
    "excluded": ["provisional_overhead"]
  }
}"#;

fn consolidated_estimate(c: &mut Criterion) {
    let tariffs = Tariffs::embedded();
    let case: EstimateCase = serde_json::from_str(CASE).expect("benchmark case is valid");
    c.bench_function("consolidated_estimate", |b| {
        b.iter(|| estimate(black_box(tariffs), black_box(&case)).expect("estimate"))
    });
}

criterion_group!(benches, consolidated_estimate);
criterion_main!(benches);
