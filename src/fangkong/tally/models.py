"""The running counts behind the command figures: signed deltas by hour, place and figure.

A row says "`n` more (or fewer) of `figure` in `area` from the hour ending at `upto`". The
figure at a moment is the sum of the rows up to it (`fangkong.tally.store`). Each delta is
kept once per bucket span (1 hour to 64 days), so a sum over any past reads a few dozen
buckets per place and figure at most; and for each pair of levels a dashboard reads (the
city and its districts, a district and its streets, a street and its communities, the city's
and a district's communities for the case map), so a node reads only its own children.
"""

from django.db import models


class Tally(models.Model):
    depth = models.PositiveSmallIntegerField()  # length of `parent`: the node that reads the row
    width = models.PositiveSmallIntegerField()  # length of `area`: that node's children
    parent = models.CharField(max_length=24)  # division_key[:depth]
    area = models.CharField(max_length=24)  # division_key[:width]
    span = models.PositiveSmallIntegerField()  # hours per bucket
    upto = models.IntegerField()  # the bucket's last hour (hours since 1970 UTC, rounded up)
    subject = models.CharField(max_length=12)  # case, contact, stay, measure
    figure = models.CharField(max_length=200)
    n = models.BigIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["depth", "parent", "span", "upto", "width", "subject", "figure", "area"],
                name="tally_cell",
            )
        ]

    def __str__(self) -> str:
        return f"{self.subject} {self.figure} {self.area} ≤{self.upto}h/{self.span}: {self.n}"
