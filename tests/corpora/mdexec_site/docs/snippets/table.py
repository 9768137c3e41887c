rows = [("red", 3), ("green", 5), ("blue", 8)]
print("| colour | count |")
print("| --- | ---: |")
for colour, count in rows:
    print(f"| {colour} | {count} |")
