"""Orders keep the zone level that chose their deadline, and when a cancellation happened
(entered) and was recorded. Orders cancelled before this migration take both times from their
`order.cancelled` audit event (the event's time is when it was recorded then: no other time
was asked), else from when the order was recorded."""

from django.db import migrations, models


def cancelled_times(apps, schema_editor):  # type: ignore[no-untyped-def]
    Order = apps.get_model("supplies", "Order")
    Event = apps.get_model("audit", "Event")
    cancelled = list(Order.objects.filter(status="cancelled", cancelled_at__isnull=True))
    if not cancelled:
        return
    times = dict(
        Event.objects.filter(
            action="order.cancelled",
            object_type="supplies.order",
            object_id__in=[str(o.pk) for o in cancelled],
        ).values_list("object_id", "at")
    )
    for order in cancelled:
        order.cancelled_at = order.cancel_recorded_at = times.get(str(order.pk), order.recorded_at)
    Order.objects.bulk_update(cancelled, ["cancelled_at", "cancel_recorded_at"], batch_size=1000)


class Migration(migrations.Migration):
    dependencies = [
        ("audit", "0002_recorded_at"),
        ("supplies", "0003_orders"),
    ]

    operations = [
        migrations.AddField(
            model_name="order",
            name="cancel_recorded_at",
            field=models.DateTimeField(
                blank=True, editable=False, null=True, verbose_name="cancellation recorded at"
            ),
        ),
        migrations.AddField(
            model_name="order",
            name="cancelled_at",
            field=models.DateTimeField(blank=True, null=True, verbose_name="cancelled at"),
        ),
        migrations.AddField(
            model_name="order",
            name="zone_level",
            field=models.CharField(
                blank=True, max_length=20, verbose_name="zone level when placed"
            ),
        ),
        migrations.RunPython(cancelled_times, migrations.RunPython.noop),
    ]
