module github.com/dwm-rl/dwm

go 1.26
