"""Gizmo: gear trains, their speed ratios and directions.

Build a [`Train`][gizmo.Train] from [`Gear`][gizmo.Gear] objects and ask it for its output
speed; [`ratio`][gizmo.ratio] gives the ratio of one mesh.
"""

from __future__ import annotations

from dataclasses import dataclass, field

__all__ = ["Gear", "Train", "ratio"]


def ratio(driver: int, driven: int) -> float:
    """The speed ratio of one mesh: how many turns the driven gear makes per turn of the driver.

    Parameters:
        driver: Teeth of the gear that turns the other one.
        driven: Teeth of the gear being turned.

    Returns:
        `driver / driven`; below 1 the driven gear turns slower (see [`Gear`][gizmo.Gear]).
    """
    return driver / driven


@dataclass(frozen=True)
class Gear:
    """A toothed wheel.

    Attributes:
        teeth: How many teeth it has.
    """

    teeth: int


@dataclass
class Train:
    """Gears meshed one after the other; the first one is driven by a motor.

    Attributes:
        gears: The [`Gear`][gizmo.Gear] objects, in the order the motion passes through them.
    """

    gears: list[Gear] = field(default_factory=list)

    def output_speed(self, input_speed: float) -> float:
        """The speed of the last gear, signed: negative when it turns the other way.

        Each mesh multiplies the speed by [`ratio`][gizmo.ratio] and flips its direction.
        """
        speed = input_speed
        for driver, driven in zip(self.gears, self.gears[1:], strict=False):
            speed = -speed * ratio(driver.teeth, driven.teeth)
        return speed
