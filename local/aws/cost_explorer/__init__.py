"""The local Cost Explorer: data.py (the cost file), query.py (filters, sums, paging), service.py (the
answers and the botocore hook)."""
