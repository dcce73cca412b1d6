// Number formats and words shared by the pages. Figures are en-US formatted (thousands separated by ","):
// tests/test_report.py reads them back from the page text, so keep the formats plain numbers.

const integer = new Intl.NumberFormat("en-US", {maximumFractionDigits: 0});
const oneDecimal = new Intl.NumberFormat("en-US", {minimumFractionDigits: 1, maximumFractionDigits: 1});

export const count = (x) => (x == null ? "–" : integer.format(x));
export const score = (x) => (x == null ? "–" : oneDecimal.format(x));
export const money = (x) => (x == null ? "–" : `¥${integer.format(x)}`);
export const pct = (x) => (x == null ? "–" : `${oneDecimal.format(100 * x)}%`);
export const signed = (x) => (x == null ? "–" : x > 0 ? `+${integer.format(x)}` : integer.format(x));

// mart_outreach_candidates.outreach_reason in words (the rules: docs/customer-marts.md, "The rules and their vars")
export const REASONS = {
  new_buyer_follow_up: "first order: follow up",
  campaign_cohort_care: "campaign cohort: care",
  repurchase_due: "due to buy again",
  high_value_at_risk: "high spender at risk",
  dormant_wake_up: "dormant: wake up"
};

export function reasonInWords(d, crm) {
  switch (d.outreach_reason) {
    case "new_buyer_follow_up":
      return `First paid order ${crm.outreach_follow_up_day} days ago: thank them and follow up`;
    case "campaign_cohort_care":
      return `Won on a campaign day, no order since (${d.days_since_last_order} days): care touch, no discount`;
    case "repurchase_due":
      return `Expected to buy again on ${d.expected_next_order_date}; last order ${d.days_since_last_order} days ago`;
    case "high_value_at_risk":
      return `High spender (${d.orders_count} orders) at risk: no order for ${d.days_since_last_order} days`;
    case "dormant_wake_up":
      return `Dormant for ${d.days_since_last_order} days: wake-up offer`;
    default:
      return d.outreach_reason;
  }
}
