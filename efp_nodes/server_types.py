"""The three ways a server is provisioned (model.md §3)."""
from efp.values import SourceObject, Sources

AUTOSCALING = "autoscaling"
ON_PREMISE = "on-premise"
SERVERLESS = "serverless"
SERVER_TYPES = (AUTOSCALING, ON_PREMISE, SERVERLESS)


class ServerTypes:
    """``ServerTypes.autoscaling()`` and friends, as the seed writes them."""

    @staticmethod
    def autoscaling() -> SourceObject:
        """Instances follow demand hour by hour (rounded up to whole instances)."""
        return SourceObject(AUTOSCALING, Sources.USER_DATA)

    @staticmethod
    def on_premise() -> SourceObject:
        """A fixed fleet sized for the peak hour (or a given number of instances)."""
        return SourceObject(ON_PREMISE, Sources.USER_DATA)

    @staticmethod
    def serverless() -> SourceObject:
        """Resources billed exactly as used: fractional instances."""
        return SourceObject(SERVERLESS, Sources.USER_DATA)

    @classmethod
    def all(cls) -> list[SourceObject]:
        return [cls.autoscaling(), cls.on_premise(), cls.serverless()]
