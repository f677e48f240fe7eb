"""Lead scoring warehouse: scores and grades computed in the warehouse from rule tables."""

__version__ = "0.1.0"
