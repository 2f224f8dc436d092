"""Benchmarks: icasdk against plain urllib3 + json (the floor) and libica.

Run ``python -m benchmarks`` from a checkout (``pip install -e
'.[benchmarks]'`` first, for libica); ``docs/performance.md`` explains the
figures. Nothing in icasdk imports this package.
"""
