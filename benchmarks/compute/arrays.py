def main():
    data = []
    i = 0
    while i < 20000:
        data.append((i * 7919) % 1000)
        i += 1
    total = 0
    for _ in range(10):
        i = 0
        while i < len(data):
            total = total + data[i]
            i += 1
    print(total)


main()
