"""Coverage and verdicts per spec element: events in, report.json / junit.xml / report.html out."""
