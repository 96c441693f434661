"""workbook: collect, check and publish the annual ethical-trade member report.

The library behind the ``workbook`` command. Data flows one way:
rules → generate → workbook.xlsx → read → validate → consolidate → report.
"""

__version__ = "0.1.0"
