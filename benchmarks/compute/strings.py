def main():
    s = ""
    count = 0
    i = 0
    while i < 100000:
        s = s + "x"
        if i % 1000 == 0:
            count = count + len(s)
        i = i + 1
    print(count)
    print(len(s))


main()
