-- One open alert per factory and indicator at most, and episodes of the same factory and indicator never overlap
-- (a continuing decline must stay one row, not a new alert each week).
with alerts as (

    select
        factory_id,
        indicator,
        opened_date,
        coalesce(closed_date, date '9999-12-31') as ends_date,
        status
    from {{ ref('mart_factory_alerts') }}

),

overlapping as (

    select
        earlier.factory_id,
        earlier.indicator,
        earlier.opened_date,
        later.opened_date as next_opened_date
    from alerts as earlier
    join alerts as later
        on earlier.factory_id = later.factory_id
        and earlier.indicator = later.indicator
        and earlier.opened_date < later.opened_date
        and earlier.ends_date >= later.opened_date

)

select * from overlapping
