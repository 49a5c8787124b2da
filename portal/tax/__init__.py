"""Tax: VAT rates by tax category and jurisdiction, the supplier's and the buyers' taxpayer
details, and the fapiao finance issued."""
