//! The StockX API v2 responses SoleFlip reads, as StockX's public OpenAPI documents them
//! (Catalog, Order and Listings APIs, version 2.0.0): only the fields used are declared, every
//! other field is ignored. Amounts are decimal strings (`"140"`, `"76.81"`); times ISO 8601 UTC.
//! Hand-written fixtures of each shape are in `crates/soleflip-app/tests/fixtures/stockx/`.

use serde::Deserialize;

/// `POST {auth}/oauth/token` with `grant_type=refresh_token`.
#[derive(Debug, Clone, Deserialize)]
pub struct TokenResponse {
    pub access_token: String,
    /// Seconds.
    pub expires_in: u64,
    /// Present when the server rotates refresh tokens.
    #[serde(default)]
    pub refresh_token: Option<String>,
}

/// A size on one chart (`VariantSizeConversion`): `{"size": "10.5", "type": "us m"}`.
#[derive(Debug, Clone, Deserialize)]
pub struct SizeConversion {
    pub size: Option<String>,
    #[serde(rename = "type")]
    pub kind: Option<String>,
}

/// `sizeChart` of a variant.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SizeChart {
    #[serde(default)]
    pub available_conversions: Vec<SizeConversion>,
    pub default_conversion: Option<SizeConversion>,
}

/// `VariantGtinDetails`: `{"identifier": "887231059577", "type": "UPC"}`.
#[derive(Debug, Clone, Deserialize)]
pub struct Gtin {
    pub identifier: String,
    #[serde(rename = "type")]
    pub kind: String,
}

/// `ProductVariant` / `ProductVariantDetails` (catalog variants and the GTIN lookup).
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Variant {
    pub product_id: String,
    pub variant_id: String,
    #[serde(default)]
    pub variant_name: Option<String>,
    pub variant_value: Option<String>,
    pub size_chart: Option<SizeChart>,
    #[serde(default)]
    pub gtins: Vec<Gtin>,
}

/// `Product` (`GET /v2/catalog/products/{productId}`) and `SearchProduct`.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Product {
    pub product_id: String,
    #[serde(default)]
    pub brand: Option<String>,
    #[serde(default)]
    pub product_type: Option<String>,
    #[serde(default)]
    pub style_id: Option<String>,
    #[serde(default)]
    pub title: Option<String>,
}

/// `Search` (`GET /v2/catalog/search`).
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SearchPage {
    pub has_next_page: bool,
    #[serde(default)]
    pub products: Vec<Product>,
}

/// `VariantMarketDataResponse` (`…/variants/{variantId}/market-data`, and one per variant from
/// `…/products/{productId}/market-data`).
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MarketData {
    pub product_id: String,
    pub variant_id: String,
    pub currency_code: String,
    pub lowest_ask_amount: Option<String>,
    pub highest_bid_amount: Option<String>,
    #[serde(default)]
    pub sell_faster_amount: Option<String>,
    #[serde(default)]
    pub earn_more_amount: Option<String>,
}

/// `OrderProduct`.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OrderProduct {
    pub product_id: String,
    pub product_name: Option<String>,
    pub style_id: Option<String>,
}

/// The `Variant` of an order or listing.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OrderVariant {
    pub variant_id: String,
    pub variant_value: Option<String>,
}

/// `Adjustment` of a payout: `{"adjustmentType": "Transaction Fee (9%)", "amount": "-12.6", …}`.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Adjustment {
    pub adjustment_type: String,
    pub amount: serde_json::Value,
}

/// `Payout`.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Payout {
    pub total_payout: serde_json::Value,
    pub sale_price: serde_json::Value,
    pub currency_code: Option<String>,
    #[serde(default)]
    pub adjustments: Vec<Adjustment>,
}

/// `ListOrders` (`GET /v2/selling/orders/history` and `/active`).
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Order {
    pub order_number: String,
    pub amount: String,
    pub currency_code: Option<String>,
    pub status: String,
    pub created_at: Option<String>,
    pub updated_at: Option<String>,
    pub product: OrderProduct,
    pub variant: OrderVariant,
    #[serde(default)]
    pub payout: Option<Payout>,
}

/// `Orders`: a page of orders.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OrdersPage {
    pub page_number: f64,
    pub has_next_page: bool,
    #[serde(default)]
    pub orders: Vec<Order>,
}

/// A listing (`GET /v2/selling/listings`).
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Listing {
    pub listing_id: String,
    pub status: String,
    pub amount: Option<String>,
    pub currency_code: Option<String>,
}

/// `Listings`: a page of listings.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ListingsPage {
    pub has_next_page: bool,
    #[serde(default)]
    pub listings: Vec<Listing>,
}

/// `ListingAsyncOperationResponse` / `OperationApi`: listing creation answers with an
/// operation to poll until it succeeds or fails.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Operation {
    pub listing_id: String,
    pub operation_id: String,
    pub operation_status: String,
    #[serde(default)]
    pub error: Option<String>,
}

/// `PublicApiError`: `{"statusCode": 400, "message": "…"}`.
#[derive(Debug, Clone, Deserialize)]
pub struct ApiError {
    pub message: String,
}
