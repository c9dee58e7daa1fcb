//! Connect my home: one request, one contact, one quote and one day for every utility
//! connection of a home in Wallonia.

pub mod api;
pub mod app;
pub mod clock;
pub mod config;
pub mod db;
pub mod demo;
pub mod domain;
pub mod http;
pub mod i18n;
pub mod jobs;
pub mod mail;
pub mod operators;
pub mod quote;
pub mod scheduling;
pub mod services;
pub mod state;
pub mod storage;
pub mod tariff;
pub mod throttle;
pub mod web;
