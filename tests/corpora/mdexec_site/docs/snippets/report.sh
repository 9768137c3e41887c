printf 'items: %s\n' 3
printf 'status: %s\n' ready
